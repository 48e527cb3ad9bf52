"""The California section (CCPA/CPRA, 11 CCR § 7011) and the notice at collection (§ 7012)."""

from __future__ import annotations

from ombud.datamap import ccpa
from ombud.datamap.schemas import Recipient
from ombud.datamap.schemas_fides import PrivacyDeclaration, System
from ombud.i18n import gettext as _
from ombud.notices import words
from ombud.notices.blocks import Block, Items, Link, Para, Subheading, Table, Text, text
from ombud.notices.context import (
    DO_NOT_SELL,
    LIMIT_SENSITIVE,
    NOTICE_AT_COLLECTION,
    REQUEST_FORM,
    Context,
    mail_link,
)

STATEMENT = "/privacy/statement"


def statute_name(letter: str) -> str:
    """A statute category of personal information in words."""
    return {
        "A": _("Identifiers"),
        "B": _("Customer records (Cal. Civ. Code § 1798.80(e))"),
        "C": _("Characteristics of protected classifications"),
        "D": _("Commercial information"),
        "E": _("Biometric information"),
        "F": _("Internet or other electronic network activity"),
        "G": _("Geolocation data"),
        "H": _("Audio, electronic, visual or similar information"),
        "I": _("Professional or employment-related information"),
        "J": _("Non-public education information"),
        "K": _("Inferences drawn to create a profile"),
        "L": _("Sensitive personal information"),
    }[letter]


def _third_party(r: Recipient) -> str:
    if r.ccpa_category:
        return r.ccpa_category
    return {
        "processor": _("Service providers"),
        "affiliate": _("Companies of our group"),
        "partner": _("Business partners"),
        "authority": _("Government authorities"),
        "business_transfer": _("A buyer or successor of our business"),
    }[r.role.value]


def _source(ctx: Context, decl: PrivacyDeclaration) -> list[str]:
    if decl.source == "automatic":
        return [_("your device, when you use our website and service")]
    if decl.source == "third_party":
        named = [ctx.own(s.name) for s in decl.sources]
        return named or [_("third parties")]
    return [_("you")]


def _purpose(ctx: Context, decl: PrivacyDeclaration) -> str:
    return ctx.own(decl.ccpa_purpose) if decl.ccpa_purpose else ctx.purpose(decl)


def _add(bucket: list[str], items: list[str]) -> None:
    for item in items:
        if item not in bucket:
            bucket.append(item)


class Inventory:
    """Per statute category: examples, sources, purposes, recipients, retention."""

    def __init__(self, ctx: Context) -> None:
        self.rows: dict[str, dict[str, list[str]]] = {}
        self.sensitive: dict[str, list[str]] = {}
        self.beyond_permitted = False
        for system, decl in ctx.declarations():
            self._declaration(ctx, system, decl)

    def _declaration(self, ctx: Context, system: System, decl: PrivacyDeclaration) -> None:
        recipients = [r for r in ctx.datamap.recipient if r.fides_key in decl.recipients]
        for key in decl.data_categories:
            if not ctx.personal([key]):
                continue
            for letter in ccpa.statute_categories(key):
                row = self.rows.setdefault(
                    letter,
                    {
                        k: []
                        for k in ("examples", "sources", "purposes", "disclosed", "sold", "kept")
                    },
                )
                _add(row["kept"], [_kept(ctx, decl)])
                _add(row["examples"], ctx.personal([key]))
                _add(row["sources"], _source(ctx, decl))
                _add(row["purposes"], [_purpose(ctx, decl)])
                for r in recipients:
                    if not _receives(r, key):
                        continue
                    bucket = "sold" if r.sells_data or r.shares_data else "disclosed"
                    _add(row[bucket], [_third_party(r)])
            if ccpa.is_sensitive(key):
                _add(self.sensitive.setdefault(ctx.category(key), []), [ctx.purpose(decl)])
                if not ccpa.permitted_sensitive_use(decl.data_use):
                    self.beyond_permitted = True


def _kept(ctx: Context, decl: PrivacyDeclaration) -> str:
    rule = next((r for r in ctx.datamap.retention if r.fides_key == decl.retention), None)
    if rule is not None:
        return words.period(rule.period)
    return ctx.own(decl.retention) if decl.retention else words.period(None)


def _receives(r: Recipient, key: str) -> bool:
    return any(key == c or key.startswith(c + ".") or c.startswith(key) for c in r.data_categories)


def california(ctx: Context) -> list[Block]:
    """What the CCPA asks a privacy policy to say, in one section."""
    org = ctx.datamap.organization
    if "ccpa" not in org.jurisdictions:
        return []
    inv = Inventory(ctx)
    blocks: list[Block] = [
        Para(
            text(
                _(
                    "This section applies to residents of California. In the past 12 months "
                    "we collected the categories of personal information below, from the "
                    "sources, for the business purposes and disclosed to the categories of "
                    "third parties shown, and keep it for the periods shown (details in "
                    "\u201cHow long we keep it\u201d)."
                )
            )
        )
    ]
    rows: list[tuple[Text, ...]] = []
    for letter in sorted(inv.rows):
        row = inv.rows[letter]
        rows.append(
            (
                text(statute_name(letter)),
                text(words.join_words(row["examples"])),
                text(words.join_words(row["sources"])),
                text(words.join_words(row["purposes"])),
                text(words.join_words(row["disclosed"]) or _("none")),
                text(words.join_words(row["sold"]) or _("none")),
                text(words.join_words(row["kept"])),
            )
        )
    blocks.append(
        Table(
            _("Personal information collected in the past 12 months"),
            (
                _("Category"),
                _("What it includes"),
                _("Sources"),
                _("Business purposes"),
                _("Disclosed for a business purpose to"),
                _("Sold or shared to"),
                _("Kept for (depending on the purpose)"),
            ),
            tuple(rows),
        )
    )
    blocks += _sale_block(ctx, inv)
    blocks += _sensitive_block(ctx, inv)
    blocks += _rights_block(ctx)
    blocks += _incentives(ctx)
    if org.ccpa.metrics_url:
        blocks.append(
            Para(
                text(
                    _("Our yearly figures on the requests we received are published "),
                    Link(_("here"), org.ccpa.metrics_url),
                    ".",
                )
            )
        )
    blocks.append(
        Para(
            text(
                _("A short "),
                Link(_("notice at collection"), NOTICE_AT_COLLECTION),
                _(" summarises this section where we collect your data."),
            )
        )
    )
    return blocks


def _sale_block(ctx: Context, inv: Inventory) -> list[Block]:
    org = ctx.datamap.organization
    sold = [r for r in ctx.datamap.recipient if r.sells_data]
    shared = [r for r in ctx.datamap.recipient if r.shares_data]
    blocks: list[Block] = [Subheading(_("Sale and sharing of personal information"))]
    if not sold and not shared and not org.sells_personal_data:
        blocks.append(Para(text(_("We do not sell or share your personal information."))))
    else:
        if sold or org.sells_personal_data:
            blocks.append(
                Para(
                    text(
                        _("We sell personal information to: {who}.").format(
                            who=words.join_words([_third_party(r) for r in sold])
                            or _("third parties")
                        )
                    )
                )
            )
        else:
            blocks.append(Para(text(_("We do not sell personal information."))))
        if shared:
            cats: list[str] = []
            for r in shared:
                _add(cats, ctx.received(r))
            blocks.append(
                Para(
                    text(
                        _(
                            "We share {data} with {who} for cross-context behavioural advertising."
                        ).format(
                            data=words.join_words(cats),
                            who=words.join_words([_third_party(r) for r in shared]),
                        )
                    )
                )
            )
        blocks.append(
            Para(
                text(
                    _("To opt out, use the link "),
                    Link(_("Do Not Sell or Share My Personal Information"), DO_NOT_SELL),
                    _(" or send a Global Privacy Control signal."),
                )
            )
        )
    if org.ccpa.sells_or_shares_under_16:
        said = _(
            "We sell or share personal information of consumers under 16 only with their "
            "opt-in consent (a parent's for children under 13)."
        )
    else:
        said = _(
            "We do not sell or share the personal information of consumers we know to be "
            "under 16 years of age."
        )
    blocks.append(Para(text(said)))
    return blocks


def _sensitive_block(ctx: Context, inv: Inventory) -> list[Block]:
    if not inv.sensitive:
        return [Para(text(_("We do not collect sensitive personal information.")))]
    blocks: list[Block] = [
        Subheading(_("Sensitive personal information")),
        Para(text(_("We collect these categories of sensitive personal information:"))),
        Items(
            tuple(
                text(
                    _("{category}, used for: {purposes}").format(
                        category=cat, purposes=words.join_words(uses)
                    )
                )
                for cat, uses in sorted(inv.sensitive.items())
            )
        ),
    ]
    if inv.beyond_permitted:
        blocks.append(
            Para(text(_("We use some of it for purposes beyond those listed in 11 CCR § 7027(m).")))
        )
    else:
        blocks.append(
            Para(
                text(
                    _(
                        "We use it only for the purposes listed in 11 CCR § 7027(m), such as "
                        "providing the service you asked for and keeping it secure, and not to "
                        "infer characteristics about you."
                    )
                )
            )
        )
    if inv.beyond_permitted or ctx.datamap.organization.ccpa.limit_sensitive_link:
        blocks.append(
            Para(
                text(
                    _("You can limit its use: "),
                    Link(_("Limit the Use of My Sensitive Personal Information"), LIMIT_SENSITIVE),
                    ".",
                )
            )
        )
    return blocks


def ccpa_rights() -> tuple[str, ...]:
    """The CCPA rights, one line each."""
    return (
        _("know which personal information we collect, use, disclose, sell and share (access)"),
        _("delete personal information we collected from you"),
        _("correct inaccurate personal information"),
        _("opt out of the sale or sharing of your personal information"),
        _("limit the use of your sensitive personal information"),
        _("not be discriminated against for using these rights (non-discrimination)"),
    )


def _rights_block(ctx: Context) -> list[Block]:
    org = ctx.datamap.organization
    methods: list[Text] = [text(_("our "), Link(_("request form"), REQUEST_FORM))]
    email = org.privacy_contact.email if org.privacy_contact is not None else ""
    if email:
        methods.append(text(_("email to "), mail_link(email)))
    if org.requests.toll_free_phone:
        methods.append(
            text(_("our toll-free number {phone}").format(phone=org.requests.toll_free_phone))
        )
    elif org.privacy_contact is not None and org.privacy_contact.phone:
        methods.append(text(_("phone: {phone}").format(phone=org.privacy_contact.phone)))
    return [
        Subheading(_("Your rights under the CCPA")),
        Para(text(_("You have the right to:"))),
        Items(tuple(text(r) for r in ccpa_rights())),
        Para(text(_("You can submit a request through:"))),
        Items(tuple(methods)),
        Para(
            text(
                _(
                    "How we verify requests and how an authorized agent can act for you is "
                    "explained in \u201cYour rights and how to exercise them\u201d; how we "
                    "respond to opt-out preference signals in \u201cDo Not Track and Global "
                    "Privacy Control\u201d."
                )
            )
        ),
    ]


def _incentives(ctx: Context) -> list[Block]:
    offers = ctx.datamap.organization.ccpa.financial_incentives
    if not offers:
        return [Para(text(_("We do not offer financial incentives for personal information.")))]
    blocks: list[Block] = [Subheading(_("Notice of financial incentive"))]
    for offer in offers:
        items: list[Text] = [
            text(_("What it is: ") + ctx.own(offer.summary)),
            text(
                _("Personal information involved: ")
                + words.join_words(ctx.personal(offer.data_categories))
            ),
            text(_("How to join: ") + ctx.own(offer.opt_in)),
            text(_("How to leave at any time: ") + ctx.own(offer.withdraw)),
            text(_("How we value your data: ") + ctx.own(offer.value)),
        ]
        if offer.terms:
            items.insert(2, text(_("Terms: ") + ctx.own(offer.terms)))
        blocks.append(Para(text(ctx.own(offer.name))))
        blocks.append(Items(tuple(items)))
    return blocks
