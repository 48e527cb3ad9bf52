"""The notice at collection (CCPA § 7012): what is collected and why, whether it is sold or
shared, how long it is kept, and the link to the statement; a fragment to place next to forms."""

from __future__ import annotations

from ombud.i18n import gettext as _
from ombud.notices import words
from ombud.notices.blocks import Block, Items, Link, Para, Text, text
from ombud.notices.context import DO_NOT_SELL, LIMIT_SENSITIVE, Context
from ombud.notices.sections_ccpa import STATEMENT, Inventory, statute_name


def notice_at_collection(ctx: Context) -> list[Block]:
    """The notice at collection (§ 7012): categories, purposes, sale/sharing, retention, link."""
    inv = Inventory(ctx)
    sold = any(r.sells_data or r.shares_data for r in ctx.datamap.recipient)
    items: list[Text] = [
        text(
            _("{category} (such as {examples}), used for: {purposes}").format(
                category=statute_name(letter),
                examples=words.join_words(row["examples"]),
                purposes=words.join_words(row["purposes"]),
            )
        )
        for letter, row in sorted(inv.rows.items())
    ]
    blocks: list[Block] = [
        Para(text(_("We collect the following personal information and use it as shown:"))),
        Items(tuple(items)),
    ]
    if sold or ctx.datamap.organization.sells_personal_data:
        blocks.append(
            Para(
                text(
                    _("We sell or share some of it. "),
                    Link(_("Do Not Sell or Share My Personal Information"), DO_NOT_SELL),
                    ".",
                )
            )
        )
    else:
        blocks.append(Para(text(_("We do not sell or share your personal information."))))
    if inv.sensitive and (
        inv.beyond_permitted or ctx.datamap.organization.ccpa.limit_sensitive_link
    ):
        blocks.append(
            Para(
                text(
                    Link(_("Limit the Use of My Sensitive Personal Information"), LIMIT_SENSITIVE),
                    ".",
                )
            )
        )
    blocks.append(
        Para(
            text(
                _("We keep it as long as our privacy statement says for each kind of data. "),
                _("Read our "),
                Link(_("privacy statement"), STATEMENT),
                ".",
            )
        )
    )
    return blocks
