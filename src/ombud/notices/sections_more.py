"""Section builders from security to changes (the first and last ones live in ``sections.py``)."""

from __future__ import annotations

from ombud.consent.cookies import with_own_cookies
from ombud.datamap.schemas import Authority
from ombud.i18n import gettext as _
from ombud.notices import words
from ombud.notices.blocks import Address, Block, Items, Link, Para, Subheading, Table, Text, text
from ombud.notices.context import PREFERENCES, REQUEST_FORM, Context, contact_lines

FEED = "/privacy/statement/feed.xml"
VERSIONS = "/privacy/statement/versions"
SUBPROCESSORS = "/privacy/sub-processors"


def security(ctx: Context) -> list[Block]:
    """The organization's security measures."""
    measures = ctx.datamap.organization.security_measures
    if not measures:
        return [
            Para(text(_("We have not published a list of our security measures; ask us for it.")))
        ]
    return [
        Para(text(_("We protect your personal data with these measures:"))),
        Items(tuple(text(ctx.own(m)) for m in measures)),
    ]


def technical_data(ctx: Context) -> list[Block]:
    """Data collected automatically when you use our sites and services."""
    rows: list[tuple[Text, ...]] = []
    for system, decl in ctx.declarations():
        if decl.source != "automatic":
            continue
        cats = ctx.personal(decl.data_categories)
        if cats:
            rows.append(
                (text(words.join_words(cats)), text(ctx.purpose(decl)), text(ctx.own(system.name)))
            )
    if not rows:
        return [Para(text(_("We do not collect technical data automatically.")))]
    return [
        Para(
            text(
                _(
                    "When you visit our website or use our service, your device sends us some "
                    "data without you typing it in. We collect:"
                )
            )
        ),
        Table(_("Technical data"), (_("Data"), _("Why"), _("Where")), tuple(rows)),
    ]


def _kind(kind: str) -> str:
    return {
        "local_storage": _("local storage"),
        "pixel": _("pixel"),
        "sdk": _("software kit"),
    }.get(kind, kind.replace("_", " "))


def cookies(ctx: Context) -> list[Block]:
    """The cookie inventory and how to change choices."""
    order = list(words.COOKIE_ORDER)
    declared = with_own_cookies(list(ctx.datamap.cookie), ctx.datamap.organization.name)
    inventory = sorted(declared, key=lambda c: (order.index(c.category.value), c.name))
    if not inventory:
        return [Para(text(_("We do not use cookies or similar technologies.")))]
    rows = tuple(
        (
            text(c.name if c.kind == "cookie" else f"{c.name} ({_kind(c.kind)})"),
            text(c.provider),
            text(words.cookie_category(c.category.value)),
            text(ctx.own(c.duration)),
            text(ctx.own(c.purpose)),
        )
        for c in inventory
    )
    said = _(
        "We and the providers named below store small files (cookies) or similar data on your "
        "device. Strictly necessary ones are needed for the site to work."
    )
    if ctx.datamap.organization.commitments.consent_for_non_essential_cookies:
        said += " " + _("We use the others only with your consent.")
    return [
        Para(text(said)),
        Table(
            _("Cookies and similar technologies"),
            (_("Name"), _("Provider"), _("Category"), _("Duration"), _("Purpose")),
            rows,
        ),
        Para(
            text(
                _("You can change your choices at any time in the "),
                Link(_("preference center"), PREFERENCES),
                _(". You can also delete cookies in your browser settings."),
            )
        ),
    ]


def retention(ctx: Context) -> list[Block]:
    """Retention rules in words, with holds and legal references."""
    rules = ctx.datamap.retention
    rows: list[tuple[Text, ...]] = []
    holds: list[Block] = []
    for rule in rules:
        what = ctx.own(rule.name) or words.join_words(ctx.personal(rule.data_categories))
        what = what or _("Other records")
        then = {"delete": _("deleted"), "anonymise": _("anonymised")}.get(
            rule.action.value, _("reviewed")
        )
        why = words.with_reference(ctx.own(rule.reason), rule.legal_reference)
        rows.append(
            (text(what), text(words.period(rule.period)), text(then), text(why or "\u2014"))
        )
        if rule.legal_hold:
            holds.append(
                Para(
                    text(
                        _(
                            "{what}: we keep this data for {period} even if you ask us to "
                            "delete it, because {why}."
                        ).format(
                            what=what,
                            period=words.period(rule.period),
                            why=why or _("the law requires it"),
                        )
                    )
                )
            )
    keys = {r.fides_key for r in rules}
    for _s, decl in ctx.declarations():
        if decl.retention and decl.retention not in keys:
            rows.append(
                (
                    text(ctx.purpose(decl)),
                    text(ctx.own(decl.retention)),
                    text(_("deleted")),
                    text("\u2014"),
                )
            )
    if not rows:
        return [Para(text(_("We keep personal data only as long as needed for its purpose.")))]
    return [
        Para(text(_("We keep personal data no longer than needed. After the period below it is:"))),
        Table(_("Retention periods"), (_("Data"), _("Kept for"), _("Then"), _("Why")), tuple(rows)),
        *holds,
    ]


def children(ctx: Context) -> list[Block]:
    """The minimum age and what happens to children's data."""
    age = ctx.datamap.organization.children_min_age
    return [
        Para(
            text(
                _(
                    "Our services are not meant for children under {age}, and we do not "
                    "knowingly collect their personal data. If you believe a child under {age} "
                    "has given us personal data, contact us and we will delete it."
                ).format(age=age)
            )
        )
    ]


def other_sites(ctx: Context) -> list[Block]:
    """Third-party sites we link to have their own statements."""
    return [
        Para(
            text(
                _(
                    "Our website and emails may link to sites run by others. This statement "
                    "does not apply to them; read the privacy statement of each site you visit."
                )
            )
        )
    ]


def gdpr_rights() -> tuple[str, ...]:
    """The GDPR rights, one line each."""
    return (
        _("access: get a copy of your data and information about how we use it"),
        _("rectification: have inaccurate data corrected"),
        _("erasure: have your data deleted, unless we must keep it"),
        _("restriction: have us stop using your data while a question is resolved"),
        _(
            "portability: receive the data you gave us in a machine-readable format, or have "
            "it sent to another company"
        ),
        _(
            "objection: object to processing based on legitimate interests, and at any time "
            "to direct marketing (see \u201cYour right to object\u201d)"
        ),
        _("withdraw consent at any time, without affecting earlier processing"),
        _("lodge a complaint with a data protection supervisory authority"),
    )


def your_rights(ctx: Context) -> list[Block]:
    """The GDPR rights, how to use them, what it costs, how we check identity, deadlines."""
    org = ctx.datamap.organization
    keys = org.jurisdictions
    blocks: list[Block] = []
    if any(k in ("gdpr", "uk_gdpr") for k in keys):
        blocks += [
            Subheading(_("Under the GDPR you have the right to")),
            Items(tuple(text(r) for r in gdpr_rights())),
        ]
    blocks.append(
        Para(
            text(
                _("To use your rights, fill in our "),
                Link(_("request form"), REQUEST_FORM),
                _(". To change consent and email choices, use the "),
                Link(_("preference center"), PREFERENCES),
                ".",
            )
        )
    )
    if org.commitments.free_of_charge:
        said = _("Using your rights is free of charge.")
        if org.commitments.excessive_requests:
            said += " " + ctx.own(org.commitments.excessive_requests)
        blocks.append(Para(text(said)))
    elif org.commitments.excessive_requests:
        blocks.append(Para(text(ctx.own(org.commitments.excessive_requests))))
    if org.requests.verification:
        blocks.append(Subheading(_("How we confirm it is you")))
        blocks.append(Para(text(ctx.own(org.requests.verification))))
    if org.requests.authorized_agents:
        blocks.append(Subheading(_("Asking someone to act for you")))
        blocks.append(Para(text(ctx.own(org.requests.authorized_agents))))
    rules = words.jurisdiction_rules(ctx.datamap)
    rows = tuple(
        (text(r["name"]), text(r["deadline"] or "\u2014"), text(r["extension"] or "\u2014"))
        for r in rules
    )
    blocks.append(
        Table(
            _("How quickly we answer"),
            (_("Law"), _("We answer within"), _("Extension if complex")),
            rows,
        )
    )
    blocks.append(
        Para(
            text(_("If we need an extension, we tell you within the first period and explain why."))
        )
    )
    return blocks


def do_not_track(ctx: Context) -> list[Block]:
    """How we respond to Do Not Track and Global Privacy Control signals."""
    if ctx.datamap.organization.commitments.honours_gpc:
        gpc = text(
            _(
                "We honour the Global Privacy Control signal (Sec-GPC: 1): we treat it as your "
                "request to opt out of the sale or sharing of your data and of non-essential "
                "cookies in that browser. A choice you make later in the "
            ),
            Link(_("preference center"), PREFERENCES),
            _(" takes precedence."),
        )
    else:
        gpc = text(_("We do not act on the Global Privacy Control signal (Sec-GPC: 1)."))
    if ctx.honour_dnt:
        dnt = text(
            _("We honour Do Not Track (DNT: 1) signals the same way as Global Privacy Control.")
        )
    else:
        dnt = text(
            _(
                "We do not respond to Do Not Track (DNT: 1) signals, because there is no common "
                "standard for what they mean."
            )
        )
    return [Para(gpc), Para(dnt)]


def complaints(ctx: Context) -> list[Block]:
    """The supervisory authority and the dispute resolution body."""
    org = ctx.datamap.organization
    blocks: list[Block] = [
        Para(
            text(
                _(
                    "If you are unhappy with how we handle your data, please tell us first so "
                    "we can put it right. You also have the right to lodge a complaint with a "
                    "data protection supervisory authority, in particular where you live or "
                    "work, and to go to court."
                )
            )
        )
    ]
    if org.supervisory_authority is not None:
        blocks.append(Para(text(_("Our lead supervisory authority is:"))))
        blocks.append(authority_block(org.supervisory_authority))
    if org.dispute_resolution is not None:
        blocks.append(
            Para(text(_("You can also refer an unresolved complaint to an independent body:")))
        )
        blocks.append(authority_block(org.dispute_resolution))
    return blocks


def authority_block(contact: Authority) -> Block:
    """A contact block for an authority."""
    lines = contact_lines(contact)
    if contact.country and contact.address is None:
        lines.append(text(words.country(contact.country)))
    return Address(tuple(lines))


def changes(ctx: Context) -> list[Block]:
    """Where versions, the feed and change notices are."""
    org = ctx.datamap.organization
    who = (
        _("everyone whose data the change concerns and everyone who subscribed to")
        if org.notifications.affected_people
        else _("everyone who subscribed to")
    )
    blocks: list[Block] = [
        Para(
            text(
                _("We publish every version of this statement with its effective date; see "),
                Link(_("all versions and what changed"), VERSIONS),
                _(". Follow changes with our "),
                Link(_("Atom feed"), FEED),
                ". "
                + _(
                    "When a change matters to you, we email {who} statement updates in the "
                ).format(who=who),
                Link(_("preference center"), PREFERENCES),
                _(", before the change takes effect."),
            )
        ),
    ]
    if org.commitments.announce_new_purposes:
        blocks.append(
            Para(
                text(
                    _(
                        "Before we use your data for a new purpose, we tell you about that "
                        "purpose and everything this statement says about it."
                    )
                )
            )
        )
    blocks.append(
        Para(
            text(
                _("The current list of our service providers is on the "),
                Link(_("sub-processors page"), SUBPROCESSORS),
                _(", with its own feed of additions and removals."),
            )
        )
    )
    return blocks
