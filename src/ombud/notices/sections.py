"""Build the statement model from the data map: one builder per section, in reading order."""

from __future__ import annotations

from collections.abc import Callable

from ombud.datamap.schemas import DataMap, LegalBasis, PrivacyDeclaration
from ombud.errors import InvalidInput
from ombud.notices import words
from ombud.notices.blocks import (
    Address,
    Block,
    Custom,
    Inline,
    Items,
    Link,
    Para,
    Section,
    Statement,
    Subheading,
    Table,
    Text,
    text,
)
from ombud.notices.context import (
    PREFERENCES,
    REQUEST_FORM,
    Context,
    contact_lines,
    mail_link,
    postal_lines,
)
from ombud.notices.sections_more import (
    changes,
    children,
    complaints,
    cookies,
    do_not_track,
    other_sites,
    retention,
    security,
    technical_data,
    your_rights,
)


def who_we_are(ctx: Context) -> list[Block]:
    """Legal entities, their addresses and the DPO."""
    org = ctx.datamap.organization
    blocks: list[Block] = [
        Para(
            text(
                f"{org.name} (\u201cwe\u201d, \u201cus\u201d) decides why and how your "
                "personal data is processed and is responsible for it."
            )
        )
    ]
    if org.description:
        blocks.append(Para(text(org.description)))
    role_words = {
        "controller": "controller",
        "joint_controller": "joint controller",
        "representative": "our representative",
    }
    for entity in org.legal_entities:
        lines: list[Text] = [text(f"{entity.name} ({role_words.get(entity.role, entity.role)})")]
        lines += postal_lines(entity.address)
        if entity.registration:
            lines.append(text(f"Registration: {entity.registration}"))
        if entity.email:
            lines.append(text("Email: ", mail_link(entity.email)))
        blocks.append(Address(tuple(lines)))
    if org.dpo is not None:
        blocks.append(Para(text("Our data protection officer can be reached at:")))
        blocks.append(Address(tuple(contact_lines(org.dpo))))
    else:
        blocks.append(Para(text("We have not appointed a data protection officer.")))
    return blocks


def data_we_collect(ctx: Context) -> list[Block]:
    """Personal data categories by source, with what each is used for."""
    subjects = sorted(
        {
            words.label("data_subject", k, ctx.datamap)
            for _, d in ctx.declarations()
            for k in d.data_subjects
        }
    )
    blocks: list[Block] = []
    if subjects:
        blocks.append(Para(text(f"We process personal data about: {words.join_words(subjects)}.")))
    for source, title in words.SOURCE_TITLE.items():
        uses: dict[str, list[str]] = {}
        for _, decl in ctx.declarations():
            if decl.source != source:
                continue
            for key in decl.data_categories:
                if words.is_personal_category(key):
                    purposes = uses.setdefault(ctx.category(key), [])
                    if ctx.purpose(decl) not in purposes:
                        purposes.append(ctx.purpose(decl))
        if not uses:
            continue
        blocks.append(Subheading(title))
        blocks.append(
            Items(
                tuple(
                    text(f"{label}, used for: {words.join_words(purposes)}")
                    for label, purposes in sorted(uses.items())
                )
            )
        )
    if not blocks:
        blocks.append(Para(text("We do not collect personal data.")))
    return blocks


def basis_words(decl: PrivacyDeclaration) -> str:
    """The legal basis of a declaration in words, with the legitimate interest named."""
    if decl.legal_basis is None:
        return "not stated in our records"
    said = words.LEGAL_BASIS[decl.legal_basis]
    if decl.legal_basis is LegalBasis.legitimate_interests and decl.legitimate_interest:
        said += f": {decl.legitimate_interest}"
    return said


def how_we_use_it(ctx: Context) -> list[Block]:
    """Purpose, data and legal basis of each declaration."""
    rows = []
    for _, decl in ctx.declarations():
        cats = [ctx.category(k) for k in decl.data_categories if words.is_personal_category(k)]
        rows.append(
            (
                text(ctx.purpose(decl)),
                text(words.join_words(cats) or "no personal data"),
                text(basis_words(decl)),
            )
        )
    if not rows:
        return [Para(text("We do not process personal data."))]
    blocks: list[Block] = [
        Table("What we use your data for", ("Purpose", "Personal data", "Legal basis"), tuple(rows))
    ]
    if any(d.legal_basis is LegalBasis.consent for _, d in ctx.declarations()):
        blocks.append(
            Para(
                text(
                    "Where we rely on your consent, you can withdraw it at any time in the ",
                    Link("preference center", PREFERENCES),
                    "; this does not affect processing that took place before.",
                )
            )
        )
    return blocks


def sharing(ctx: Context) -> list[Block]:
    """Recipients by role and a clear statement on the sale of data."""
    org = ctx.datamap.organization
    sellers = [r for r in ctx.datamap.recipient if r.sells_data]
    blocks: list[Block] = []
    if org.sells_personal_data or sellers:
        names = words.join_words([r.name for r in sellers]) or "third parties"
        blocks.append(
            Para(
                text(
                    f"We sell personal data to {names}. You can opt out of the sale of your "
                    "data in the ",
                    Link("preference center", PREFERENCES),
                    ".",
                )
            )
        )
    else:
        blocks.append(Para(text("We do not sell your personal data.")))
    for role, title in words.ROLE_TITLE.items():
        recipients = [r for r in ctx.datamap.recipient if r.role.value == role]
        if not recipients:
            continue
        rows = []
        for r in recipients:
            name: Inline = Link(r.name, r.url) if r.url else r.name
            cats = [ctx.category(k) for k in r.data_categories if words.is_personal_category(k)]
            rows.append(
                (
                    text(name),
                    text(r.purpose),
                    text(words.country(r.country)),
                    text(words.join_words(cats) or "\u2014"),
                )
            )
        blocks.append(Subheading(title))
        blocks.append(Table(title, ("Recipient", "Purpose", "Country", "Data"), tuple(rows)))
    if not ctx.datamap.recipient:
        blocks.append(Para(text("We do not share your personal data with anyone.")))
    return blocks


def international_transfers(ctx: Context) -> list[Block]:
    """Recipients outside the EU/EEA and the safeguard of each."""
    abroad = [r for r in ctx.datamap.recipient if words.outside_eea(r.country)]
    if not abroad:
        return [Para(text("We do not transfer your personal data outside the EU and EEA."))]
    rows = []
    for r in abroad:
        guard = words.safeguard(r.safeguard, r.safeguard_detail)
        rows.append((text(r.name), text(words.country(r.country)), text(guard)))
    return [
        Para(
            text(
                "Some recipients process your data outside the EU and EEA. Each transfer is "
                "protected by the safeguard shown; you can ask us for a copy of it."
            )
        ),
        Table(
            "Transfers outside the EU and EEA", ("Recipient", "Country", "Safeguard"), tuple(rows)
        ),
    ]


def contact(ctx: Context) -> list[Block]:
    """How to reach the privacy contact, the DPO and the request form."""
    org = ctx.datamap.organization
    blocks: list[Block] = []
    if org.privacy_contact is not None:
        blocks.append(Para(text("For any question about this statement or your data, contact:")))
        blocks.append(Address(tuple(contact_lines(org.privacy_contact))))
    else:
        emails = [e for e in org.legal_entities if e.email]
        if emails:
            blocks.append(Para(text("Write to us at ", mail_link(emails[0].email), ".")))
    if org.dpo is not None and org.dpo.email:
        blocks.append(
            Para(
                text(
                    "You can also write to our data protection officer at ",
                    mail_link(org.dpo.email),
                    ".",
                )
            )
        )
    blocks.append(
        Para(
            text(
                "To exercise your rights, the quickest way is our ",
                Link("request form", REQUEST_FORM),
                ".",
            )
        )
    )
    return blocks


Builder = Callable[[Context], list[Block]]

# Keys are the names used under ``statement:`` in the data map; anchors use hyphens.
SECTIONS: tuple[tuple[str, str, Builder], ...] = (
    ("who_we_are", "Who we are", who_we_are),
    ("data_we_collect", "What personal data we collect and how", data_we_collect),
    ("how_we_use_it", "How we use your data", how_we_use_it),
    ("sharing", "Who we share it with", sharing),
    ("international_transfers", "International transfers", international_transfers),
    ("security", "How we keep it secure", security),
    ("technical_data", "Technical data collected automatically", technical_data),
    ("cookies", "Cookies and similar technologies", cookies),
    ("retention", "How long we keep it", retention),
    ("children", "Children", children),
    ("other_sites", "Links to other sites", other_sites),
    ("your_rights", "Your rights and how to exercise them", your_rights),
    ("do_not_track", "Do Not Track and Global Privacy Control", do_not_track),
    ("complaints", "Complaints, supervisory authority and dispute resolution", complaints),
    ("changes", "Changes to this statement", changes),
    ("contact", "How to contact us", contact),
)
SECTION_KEYS = tuple(key for key, _, _ in SECTIONS)


def _custom_text(datamap: DataMap) -> dict[str, tuple[str, str]]:
    """``statement:`` entries by section key: (mode, markdown); unknown keys are errors."""
    out: dict[str, tuple[str, str]] = {}
    for raw_key, entry in datamap.statement.items():
        key = raw_key.replace("-", "_")
        if key not in SECTION_KEYS:
            raise InvalidInput(
                f"statement.{raw_key}: no such section; use one of {', '.join(SECTION_KEYS)}"
            )
        if entry.mode not in ("append", "prepend", "replace"):
            raise InvalidInput(
                f"statement.{raw_key}.mode: '{entry.mode}' is not append, prepend or replace"
            )
        out[key] = (entry.mode, entry.markdown)
    return out


def build_statement(datamap: DataMap, *, honour_dnt: bool) -> Statement:
    """The whole statement for ``datamap``, with the organization's own text merged in."""
    ctx = Context(datamap, honour_dnt)
    custom = _custom_text(datamap)
    sections = []
    for key, title, builder in SECTIONS:
        blocks = builder(ctx)
        if key in custom:
            mode, markdown = custom[key]
            own = Custom(markdown)
            blocks = (
                [own]
                if mode == "replace"
                else [own, *blocks]
                if mode == "prepend"
                else [*blocks, own]
            )
        sections.append(Section(key, title, tuple(blocks)))
    org = datamap.organization
    intro = text(
        f"This statement explains what personal data {org.name} collects, why, who receives it, "
        "how long we keep it and the rights you have. It is generated from the same records "
        "that run our systems, so it describes what we actually do."
    )
    return Statement("Privacy statement", org.name, intro, tuple(sections))
