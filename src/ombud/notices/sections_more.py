"""Section builders from security to changes (the first and last ones live in ``sections.py``)."""

from __future__ import annotations

from ombud.consent.cookies import with_own_cookies
from ombud.datamap.schemas import Authority
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
        return [Para(text("We have not published a list of our security measures; ask us for it."))]
    return [
        Para(text("We protect your personal data with these measures:")),
        Items(tuple(text(m) for m in measures)),
    ]


def technical_data(ctx: Context) -> list[Block]:
    """Data collected automatically when you use our sites and services."""
    rows: list[tuple[Text, ...]] = []
    for system, decl in ctx.declarations():
        if decl.source != "automatic":
            continue
        cats = [ctx.category(k) for k in decl.data_categories if words.is_personal_category(k)]
        if cats:
            rows.append((text(words.join_words(cats)), text(ctx.purpose(decl)), text(system.name)))
    if not rows:
        return [Para(text("We do not collect technical data automatically."))]
    return [
        Para(
            text(
                "When you visit our website or use our service, your device sends us some data "
                "without you typing it in. We collect:"
            )
        ),
        Table("Technical data", ("Data", "Why", "Where"), tuple(rows)),
    ]


def cookies(ctx: Context) -> list[Block]:
    """The cookie inventory and how to change choices."""
    order = list(words.COOKIE_CATEGORY)
    declared = with_own_cookies(list(ctx.datamap.cookie), ctx.datamap.organization.name)
    inventory = sorted(declared, key=lambda c: (order.index(c.category.value), c.name))
    if not inventory:
        return [Para(text("We do not use cookies or similar technologies."))]
    rows = tuple(
        (
            text(c.name if c.kind == "cookie" else f"{c.name} ({c.kind.replace('_', ' ')})"),
            text(c.provider),
            text(words.COOKIE_CATEGORY[c.category.value]),
            text(c.duration),
            text(c.purpose),
        )
        for c in inventory
    )
    return [
        Para(
            text(
                "We and the providers named below store small files (cookies) or similar data on "
                "your device. Strictly necessary ones are needed for the site to work; we use "
                "the others only with your consent."
            )
        ),
        Table(
            "Cookies and similar technologies",
            ("Name", "Provider", "Category", "Duration", "Purpose"),
            rows,
        ),
        Para(
            text(
                "You can change your choices at any time in the ",
                Link("preference center", PREFERENCES),
                ". You can also delete cookies in your browser settings.",
            )
        ),
    ]


def retention(ctx: Context) -> list[Block]:
    """Retention rules in words, with holds and legal references."""
    rules = ctx.datamap.retention
    rows: list[tuple[Text, ...]] = []
    holds: list[Block] = []
    for rule in rules:
        what = rule.name or words.join_words([ctx.category(k) for k in rule.data_categories])
        what = what or words.join_words(rule.collections) or rule.fides_key.replace("_", " ")
        then = {"delete": "deleted", "anonymise": "anonymised"}.get(rule.action.value, "reviewed")
        why = words.with_reference(rule.reason, rule.legal_reference)
        rows.append(
            (text(what), text(words.period(rule.period)), text(then), text(why or "\u2014"))
        )
        if rule.legal_hold:
            holds.append(
                Para(
                    text(
                        f"{what}: we keep this data for {words.period(rule.period)} even if you "
                        f"ask us to delete it, because {why or 'the law requires it'}."
                    )
                )
            )
    keys = {r.fides_key for r in rules}
    for _, decl in ctx.declarations():
        if decl.retention and decl.retention not in keys:
            rows.append(
                (text(ctx.purpose(decl)), text(decl.retention), text("deleted"), text("\u2014"))
            )
    if not rows:
        return [Para(text("We keep personal data only as long as needed for its purpose."))]
    return [
        Para(text("We keep personal data no longer than needed. After the period below it is:")),
        Table("Retention periods", ("Data", "Kept for", "Then", "Why"), tuple(rows)),
        *holds,
    ]


def children(ctx: Context) -> list[Block]:
    """The minimum age and what happens to children's data."""
    age = ctx.datamap.organization.children_min_age
    return [
        Para(
            text(
                f"Our services are not meant for children under {age}, and we do not knowingly "
                f"collect their personal data. If you believe a child under {age} has given us "
                "personal data, contact us and we will delete it."
            )
        )
    ]


def other_sites(ctx: Context) -> list[Block]:
    """Third-party sites we link to have their own statements."""
    return [
        Para(
            text(
                "Our website and emails may link to sites run by others. This statement does not "
                "apply to them; read the privacy statement of each site you visit."
            )
        )
    ]


GDPR_RIGHTS = (
    "access: get a copy of your data and information about how we use it",
    "rectification: have inaccurate data corrected",
    "erasure: have your data deleted, unless we must keep it",
    "restriction: have us stop using your data while a question is resolved",
    "portability: receive the data you gave us in a machine-readable format, "
    "or have it sent to another company",
    "objection: object to processing based on legitimate interests, and at any time "
    "to direct marketing",
    "withdraw consent at any time, without affecting earlier processing",
)
CCPA_RIGHTS = (
    "know which personal information we collect, use and disclose",
    "delete personal information we collected from you",
    "correct inaccurate personal information",
    "opt out of the sale or sharing of your personal information",
    "limit the use of your sensitive personal information",
    "not be discriminated against for using these rights",
)


def your_rights(ctx: Context) -> list[Block]:
    """The rights of each jurisdiction in use, how to use them and our deadlines."""
    keys = ctx.datamap.organization.jurisdictions
    blocks: list[Block] = []
    if any(k in ("gdpr", "uk_gdpr") for k in keys):
        blocks += [
            Subheading("Under the GDPR you have the right to"),
            Items(tuple(text(r) for r in GDPR_RIGHTS)),
        ]
    if "ccpa" in keys:
        blocks += [
            Subheading("Under the CCPA you have the right to"),
            Items(tuple(text(r) for r in CCPA_RIGHTS)),
        ]
    blocks.append(
        Para(
            text(
                "To use your rights, fill in our ",
                Link("request form", REQUEST_FORM),
                ". To change consent and email choices, use the ",
                Link("preference center", PREFERENCES),
                ". It is free of charge. We may ask you to confirm your identity, only as much as "
                "needed.",
            )
        )
    )
    rules = words.jurisdiction_rules(ctx.datamap)
    rows = tuple(
        (text(r["name"]), text(r["deadline"] or "\u2014"), text(r["extension"] or "\u2014"))
        for r in rules
    )
    blocks.append(
        Table("How quickly we answer", ("Law", "We answer within", "Extension if complex"), rows)
    )
    blocks.append(
        Para(text("If we need an extension, we tell you within the first period and explain why."))
    )
    return blocks


def do_not_track(ctx: Context) -> list[Block]:
    """How we respond to Do Not Track and Global Privacy Control signals."""
    gpc = text(
        "We honour the Global Privacy Control signal (Sec-GPC: 1): we treat it as your request to "
        "opt out of the sale or sharing of your data and of non-essential cookies in that "
        "browser. A choice you make later in the ",
        Link("preference center", PREFERENCES),
        " takes precedence.",
    )
    if ctx.honour_dnt:
        dnt = text(
            "We honour Do Not Track (DNT: 1) signals the same way as Global Privacy Control."
        )
    else:
        dnt = text(
            "We do not respond to Do Not Track (DNT: 1) signals, because there is no common "
            "standard for what they mean; use Global Privacy Control instead."
        )
    return [Para(gpc), Para(dnt)]


def complaints(ctx: Context) -> list[Block]:
    """The supervisory authority and the dispute resolution body."""
    org = ctx.datamap.organization
    blocks: list[Block] = [
        Para(
            text(
                "If you are unhappy with how we handle your data, please tell us first so we can "
                "put it right. You also have the right to complain to a data protection "
                "supervisory authority, in particular where you live or work, and to go to court."
            )
        )
    ]
    if org.supervisory_authority is not None:
        blocks.append(Para(text("Our lead supervisory authority is:")))
        blocks.append(authority_block(org.supervisory_authority))
    if org.dispute_resolution is not None:
        blocks.append(
            Para(text("You can also refer an unresolved complaint to an independent body:"))
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
    return [
        Para(
            text(
                "We publish every version of this statement with its effective date; see ",
                Link("all versions and what changed", VERSIONS),
                ". Follow changes with our ",
                Link("Atom feed", FEED),
                ". When a change matters to you, we email everyone who subscribed to statement "
                "updates in the ",
                Link("preference center", PREFERENCES),
                ".",
            )
        ),
        Para(
            text(
                "The current list of our service providers is on the ",
                Link("sub-processors page", SUBPROCESSORS),
                ", with its own feed of additions and removals.",
            )
        ),
    ]
