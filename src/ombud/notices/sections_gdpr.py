"""GDPR sections beyond the basics: the right to object (Art. 21(4)), automated decisions
(13(2)(f)), joint controllers (26(2)), transfers under each law, data hosted as processor."""

from __future__ import annotations

from ombud.datamap import transfers
from ombud.datamap.schemas import Recipient
from ombud.i18n import gettext as _
from ombud.notices import words
from ombud.notices.blocks import Block, Items, Link, Para, Subheading, Table, Text, text
from ombud.notices.context import PREFERENCES, REQUEST_FORM, Context, mail_link


def _privacy_email(ctx: Context) -> str:
    org = ctx.datamap.organization
    if org.privacy_contact is not None and org.privacy_contact.email:
        return org.privacy_contact.email
    return next((e.email for e in org.legal_entities if e.email), "")


def joint_controllers(ctx: Context) -> list[Block]:
    """The essence of each joint-controller arrangement (Art. 26(2))."""
    blocks: list[Block] = []
    for joint in ctx.datamap.organization.joint_controllers:
        blocks.append(Subheading(_("Joint controller: {name}").format(name=joint.name)))
        items: list[Text] = [
            text(_("What we decide together: ") + ctx.own(joint.scope)),
            text(_("What we are responsible for: ") + ctx.own(joint.our_part)),
            text(
                _("What {name} is responsible for: ").format(name=joint.name)
                + ctx.own(joint.their_part)
            ),
        ]
        if joint.contact:
            items.append(text(_("Where to exercise your rights: ") + ctx.own(joint.contact)))
        items.append(
            text(_("You can exercise your rights with either of us; we pass requests on."))
        )
        blocks.append(Items(tuple(items)))
        if joint.url:
            blocks.append(Para(text(_("Read the arrangement: "), Link(joint.url, joint.url))))
    return blocks


def right_to_object(ctx: Context) -> list[Block]:
    """The right to object, stated separately and clearly (Art. 21(4))."""
    from ombud.notices.sections_core import bases_of  # imported here: core imports this module

    interests = [
        ctx.purpose(d) for _s, d in ctx.declarations() if "legitimate_interests" in bases_of(d)
    ]
    marketing = [
        ctx.purpose(d) for _s, d in ctx.declarations() if d.data_use.startswith("marketing")
    ]
    if not interests and not marketing:
        return []
    blocks: list[Block] = []
    if interests:
        blocks.append(
            Para(
                text(
                    _(
                        "You have the right to object at any time, on grounds relating to your "
                        "particular situation, to processing based on our legitimate "
                        "interests. This applies to:"
                    )
                )
            )
        )
        blocks.append(Items(tuple(text(p) for p in interests)))
        blocks.append(
            Para(
                text(
                    _(
                        "We then stop, unless we can show compelling legitimate grounds that "
                        "override your interests, or need the data to establish, exercise or "
                        "defend legal claims."
                    )
                )
            )
        )
    if marketing:
        blocks.append(
            Para(
                text(
                    _(
                        "You can object to the use of your data for direct marketing at any "
                        "time, without giving reasons; we then stop using it for that. This "
                        "applies to: {purposes}."
                    ).format(purposes=words.join_words(marketing))
                )
            )
        )
    email = _privacy_email(ctx)
    how: list[str | Link] = [
        _("To object, use our "),
        Link(_("request form"), REQUEST_FORM),
        _(", the "),
        Link(_("preference center"), PREFERENCES),
    ]
    if email:
        how += [_(" or write to "), mail_link(email)]
    how.append(".")
    blocks.append(Para(text(*how)))
    return blocks


def automated_decisions(ctx: Context) -> list[Block]:
    """Automated decision-making and profiling: logic, significance, consequences."""
    found = [(s, d) for s, d in ctx.declarations() if d.automated_decision is not None]
    if not found:
        return [
            Para(
                text(
                    _(
                        "We do not make decisions about you based solely on automated "
                        "processing, including profiling, that have legal or similarly "
                        "significant effects on you."
                    )
                )
            )
        ]
    blocks: list[Block] = []
    for _s, decl in found:
        adm = decl.automated_decision
        assert adm is not None
        blocks.append(Subheading(ctx.purpose(decl)))
        kind = []
        if adm.solely_automated:
            kind.append(_("an automated decision without human involvement"))
        if adm.profiling:
            kind.append(_("profiling"))
        items: list[Text] = [
            text(_("What it is: ") + words.join_words(kind)),
            text(_("How it works: ") + ctx.own(adm.logic)),
            text(_("What it means for you: ") + ctx.own(adm.significance)),
            text(_("Possible consequences: ") + ctx.own(adm.consequences)),
        ]
        if adm.human_review:
            items.append(text(_("Human review: ") + ctx.own(adm.human_review)))
        blocks.append(Items(tuple(items)))
    blocks.append(
        Para(
            text(
                _(
                    "You have the right to obtain human intervention, to express your point of "
                    "view and to contest such a decision."
                )
            )
        )
    )
    return blocks


def _regions(ctx: Context) -> list[str]:
    org = ctx.datamap.organization
    if org.transfer_regions:
        return list(org.transfer_regions)
    out = ["eu"] if "gdpr" in org.jurisdictions else []
    if "uk_gdpr" in org.jurisdictions:
        out.append("uk")
    return out


def _region_title(region: str) -> str:
    return {
        "eu": _("Transfers outside the EU and EEA"),
        "uk": _("Transfers outside the United Kingdom"),
        "ch": _("Transfers outside Switzerland"),
    }[region]


def _certified(ctx: Context, r: Recipient, region: str) -> str:
    for cert in ctx.datamap.organization.certifications:
        if region in cert.regions and cert.entity in (r.name, r.fides_key):
            return cert.name
    return ""


def _guard(ctx: Context, r: Recipient, region: str) -> str:
    if region == "eu" and r.safeguard is not None:
        return words.safeguard(r.safeguard, ctx.own(r.safeguard_detail), region)
    if region in r.safeguards:
        own = r.safeguards[region]
        return words.safeguard(own.safeguard, ctx.own(own.detail), region)
    cert = _certified(ctx, r, region)
    if cert:
        return words.safeguard("certification", cert, region)
    if transfers.adequate_for(region, r.country):
        return words.safeguard_name("adequacy", region)
    return words.safeguard(None, ctx.own(r.safeguard_detail) if region == "eu" else "", region)


def international_transfers(ctx: Context) -> list[Block]:
    """Recipients outside each area whose law we answer to, with the safeguard of each."""
    blocks: list[Block] = []
    for region in _regions(ctx):
        abroad = [r for r in ctx.datamap.recipient if transfers.leaves_region(region, r.country)]
        if not abroad:
            continue
        rows = tuple(
            (
                text(ctx.own(r.name, name=True)),
                text(words.country(r.country)),
                text(_guard(ctx, r, region)),
            )
            for r in abroad
        )
        title = _region_title(region)
        blocks.append(Subheading(title))
        blocks.append(Table(title, (_("Recipient"), _("Country"), _("Safeguard")), rows))
    if not blocks:
        return [Para(text(_("We do not transfer your personal data outside the EU and EEA.")))]
    intro = Para(
        text(
            _(
                "Some recipients process your data in other countries. Each transfer is "
                "protected by the safeguard shown, under each law we answer to."
            )
        )
    )
    out: list[Block] = [intro, *blocks]
    for cert in ctx.datamap.organization.certifications:
        said = _("{entity} is certified under the {name}").format(
            entity=cert.entity, name=ctx.own(cert.name)
        )
        if cert.detail:
            said += " (" + ctx.own(cert.detail).rstrip(".") + ")"
        parts: list[str | Link] = [said + "."]
        if cert.url:
            parts += [" ", Link(_("See the certification"), cert.url), "."]
        out.append(Para(text(*parts)))
    email = _privacy_email(ctx)
    copy: list[str | Link] = [_("You can ask us for a copy of the safeguards")]
    copy += [_(" at "), mail_link(email), "."] if email else ["."]
    out.append(Para(text(*copy)))
    return out


def hosted_data(ctx: Context) -> list[Block]:
    """Data we process for business customers as their processor: ask them first."""
    role = ctx.datamap.organization.as_processor
    if role is None:
        return []
    blocks: list[Block] = [
        Para(
            text(
                _(
                    "When a business or organization uses our service for its own people, it "
                    "decides about their data and is the controller; we process that data only "
                    "on its behalf and on its instructions (as its processor). This covers: "
                )
                + ctx.own(role.services)
            )
        ),
        Para(
            text(
                _(
                    "If your account or mailbox is provided by such an organization, for "
                    "example your employer, please contact its administrator about your data "
                    "and your rights. If you write to us, we forward your request to it."
                )
            )
        ),
    ]
    if role.contact:
        blocks.append(Para(text(ctx.own(role.contact))))
    return blocks
