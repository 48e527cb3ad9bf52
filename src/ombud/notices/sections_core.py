"""The first sections of the statement: who we are, what data, why and on which basis, who
receives it, and how to reach us (the registry and the build live in ``sections.py``)."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from ombud.datamap.schemas_fides import LegalBasis, PrivacyDeclaration
from ombud.i18n import gettext as _
from ombud.notices import words
from ombud.notices.blocks import (
    Address,
    Block,
    Inline,
    Items,
    Link,
    Para,
    Subheading,
    Table,
    Text,
    text,
)
from ombud.notices.context import (
    DO_NOT_SELL,
    PREFERENCES,
    REQUEST_FORM,
    Context,
    contact_lines,
    mail_link,
    postal_lines,
)
from ombud.notices.sections_gdpr import joint_controllers


def _entity_role(role: str) -> str:
    return {
        "controller": _("controller"),
        "joint_controller": _("joint controller"),
        "representative": _("our representative"),
        "affiliate": _("a company of our group"),
    }.get(role, role.replace("_", " "))


def who_we_are(ctx: Context) -> list[Block]:
    """Legal entities, their addresses, the DPO and joint controllers."""
    org = ctx.datamap.organization
    blocks: list[Block] = [
        Para(
            text(
                _(
                    "{org} (\u201cwe\u201d, \u201cus\u201d) decides why and how your personal "
                    "data is processed and is responsible for it."
                ).format(org=org.name)
            )
        )
    ]
    if org.description:
        blocks.append(Para(text(ctx.own(org.description))))
    for entity in org.legal_entities:
        lines: list[Text] = [text(f"{entity.name} ({_entity_role(entity.role)})")]
        lines += postal_lines(entity.address)
        if entity.registration:
            lines.append(text(_("Registration: ") + ctx.own(entity.registration)))
        if entity.email:
            lines.append(text(_("Email: "), mail_link(entity.email)))
        blocks.append(Address(tuple(lines)))
    if org.dpo is not None:
        blocks.append(Para(text(_("Our data protection officer can be reached at:"))))
        blocks.append(Address(tuple(contact_lines(org.dpo))))
    else:
        blocks.append(Para(text(_("We have not appointed a data protection officer."))))
    blocks += joint_controllers(ctx)
    return blocks


def _category_line(label: str, explanation: str, purposes: list[str]) -> str:
    if explanation:
        return _("{label}: {explanation} Used for: {purposes}.").format(
            label=label, explanation=explanation, purposes=words.join_words(purposes)
        )
    return _("{label}, used for: {purposes}.").format(
        label=label, purposes=words.join_words(purposes)
    )


def data_we_collect(ctx: Context) -> list[Block]:
    """Personal data categories by source, explained, with what each is used for."""
    subjects = sorted(
        {
            words.label("data_subject", k, ctx.datamap)
            for _s, d in ctx.declarations()
            for k in d.data_subjects
        }
    )
    blocks: list[Block] = []
    if subjects:
        blocks.append(
            Para(
                text(
                    _("We process personal data about: {people}.").format(
                        people=words.join_words(subjects)
                    )
                )
            )
        )
    for source in words.SOURCES:
        uses: dict[str, tuple[str, list[str]]] = {}
        named: list[str] = []
        for _s, decl in ctx.declarations():
            if decl.source != source:
                continue
            for key in decl.data_categories:
                if words.is_personal_category(key):
                    entry = uses.setdefault(
                        ctx.category(key),
                        (words.explanation("data_category", key, ctx.datamap), []),
                    )
                    if ctx.purpose(decl) not in entry[1]:
                        entry[1].append(ctx.purpose(decl))
            for origin in decl.sources:
                said = ctx.own(origin.name)
                if origin.publicly_accessible:
                    said += " " + _("(publicly accessible)")
                if origin.data_categories:
                    said += ": " + words.join_words(ctx.personal(origin.data_categories))
                if said not in named:
                    named.append(said)
        if not uses:
            continue
        blocks.append(Subheading(words.source_title(source)))
        blocks.append(
            Items(
                tuple(
                    text(_category_line(label, explanation, purposes))
                    for label, (explanation, purposes) in sorted(uses.items())
                )
            )
        )
        if named:
            blocks.append(Para(text(_("We obtain this data from these sources:"))))
            blocks.append(Items(tuple(text(n) for n in named)))
    if not blocks:
        blocks.append(Para(text(_("We do not collect personal data."))))
    return blocks


def basis_words(ctx: Context, decl: PrivacyDeclaration) -> str:
    """The legal bases of a declaration in words: each with its condition and interest."""
    entries = [(b.basis.value, b.condition, b.legitimate_interest) for b in decl.legal_bases]
    if not entries and decl.legal_basis is not None:
        entries = [(decl.legal_basis.value, "", decl.legitimate_interest)]
    if not entries:
        return _("not stated in our records")
    said = []
    for basis, condition, interest in entries:
        part = words.legal_basis(basis)
        if basis == LegalBasis.legitimate_interests.value and interest:
            part += ": " + ctx.own(interest).strip().rstrip(".")
        if condition:
            part += " (" + _("when {condition}").format(condition=ctx.own(condition)) + ")"
        said.append(part)
    return "; ".join(said)


def bases_of(decl: PrivacyDeclaration) -> set[str]:
    """Every legal basis a declaration names."""
    found = {b.basis.value for b in decl.legal_bases}
    if decl.legal_basis is not None:
        found.add(decl.legal_basis.value)
    return found


def _provision_words(ctx: Context, decl: PrivacyDeclaration) -> str:
    assert decl.provision is not None
    provision = decl.provision
    said = {
        "statutory": _("The law requires this data."),
        "contractual": _("Our contract with you requires this data."),
        "contract_entry": _("We need this data to enter into a contract with you."),
        "voluntary": _("Giving us this data is voluntary."),
    }[provision.requirement.value]
    said += " " + (
        _("You must provide it.") if provision.obligatory else _("You do not have to provide it.")
    )
    if provision.consequence:
        said += " " + _("If you do not: {consequence}").format(
            consequence=ctx.own(provision.consequence)
        )
    return said


def how_we_use_it(ctx: Context) -> list[Block]:
    """Purpose, data and legal bases of each declaration; whether the data must be given."""
    rows = []
    for _s, decl in ctx.declarations():
        cats = ctx.personal(decl.data_categories)
        rows.append(
            (
                text(ctx.purpose(decl)),
                text(words.join_words(cats) or _("no personal data")),
                text(basis_words(ctx, decl)),
            )
        )
    if not rows:
        return [Para(text(_("We do not process personal data.")))]
    blocks: list[Block] = [
        Table(
            _("What we use your data for"),
            (_("Purpose"), _("Personal data"), _("Legal basis")),
            tuple(rows),
        )
    ]
    required = [(s, d) for s, d in ctx.declarations() if d.provision is not None]
    if required:
        blocks.append(Subheading(_("Do you have to give us your data?")))
        blocks.append(
            Items(
                tuple(text(f"{ctx.purpose(d)}: {_provision_words(ctx, d)}") for _s, d in required)
            )
        )
    if any("consent" in bases_of(d) for _s, d in ctx.declarations()):
        blocks.append(
            Para(
                text(
                    _("Where we rely on your consent, you can withdraw it at any time in the "),
                    Link(_("preference center"), PREFERENCES),
                    _("; this does not affect processing that took place before."),
                )
            )
        )
    return blocks


def _sale_and_sharing(ctx: Context) -> list[Block]:
    org = ctx.datamap.organization
    sellers = [r for r in ctx.datamap.recipient if r.sells_data]
    sharers = [r for r in ctx.datamap.recipient if r.shares_data]
    blocks: list[Block] = []
    if org.sells_personal_data or sellers:
        names = words.join_words([r.name for r in sellers]) or _("third parties")
        blocks.append(Para(text(_("We sell personal data to {names}.").format(names=names))))
    else:
        blocks.append(Para(text(_("We do not sell your personal data."))))
    if sharers:
        blocks.append(
            Para(
                text(
                    _(
                        "We share personal data with {names} for cross-context behavioural "
                        "advertising (\u201csharing\u201d under California law)."
                    ).format(names=words.join_words([r.name for r in sharers]))
                )
            )
        )
    if org.sells_personal_data or sellers or sharers:
        blocks.append(
            Para(
                text(
                    _("You can opt out at any time: "),
                    Link(_("Do Not Sell or Share My Personal Information"), DO_NOT_SELL),
                    ".",
                )
            )
        )
    return blocks


def sharing(ctx: Context) -> list[Block]:
    """Recipients by role, what each receives, and whether data is sold or shared."""
    blocks = _sale_and_sharing(ctx)
    for role in words.ROLES:
        recipients = [r for r in ctx.datamap.recipient if r.role.value == role]
        if not recipients:
            continue
        rows = []
        for r in recipients:
            name: Inline = (
                Link(ctx.own(r.name, name=True), r.url) if r.url else ctx.own(r.name, name=True)
            )
            rows.append(
                (
                    text(name),
                    text(ctx.own(r.purpose)),
                    text(words.country(r.country)),
                    text(words.join_words(ctx.received(r)) or "\u2014"),
                )
            )
        title = words.role_title(role)
        blocks.append(Subheading(title))
        blocks.append(
            Table(title, (_("Recipient"), _("Purpose"), _("Country"), _("Data")), tuple(rows))
        )
    if not ctx.datamap.recipient:
        blocks.append(Para(text(_("We do not share your personal data with anyone."))))
    return blocks


def contact(ctx: Context) -> list[Block]:
    """How to reach the privacy contact, the DPO and the request form."""
    org = ctx.datamap.organization
    blocks: list[Block] = []
    if org.privacy_contact is not None:
        blocks.append(Para(text(_("For any question about this statement or your data, contact:"))))
        blocks.append(Address(tuple(contact_lines(org.privacy_contact))))
    else:
        emails = [e for e in org.legal_entities if e.email]
        if emails:
            blocks.append(Para(text(_("Write to us at "), mail_link(emails[0].email), ".")))
    if org.dpo is not None and org.dpo.email:
        blocks.append(
            Para(
                text(
                    _("You can also write to our data protection officer at "),
                    mail_link(org.dpo.email),
                    ".",
                )
            )
        )
    blocks.append(
        Para(
            text(
                _("To exercise your rights, the quickest way is our "),
                Link(_("request form"), REQUEST_FORM),
                ".",
            )
        )
    )
    names = [language_name(code) for code in org.languages]
    blocks.append(
        Para(
            text(
                _("This statement is available in: {languages}.").format(
                    languages=words.join_words(names)
                )
                + " "
                + _(
                    "If a disability makes it hard for you to read it, contact us and we provide "
                    "it in a format that works for you."
                )
            )
        )
    )
    return blocks


def language_name(code: str) -> str:
    """A language's own name (``Deutsch``), as people look for it."""
    try:
        return str(Locale.parse(code).get_display_name(code) or code)
    except (UnknownLocaleError, ValueError):
        return code
