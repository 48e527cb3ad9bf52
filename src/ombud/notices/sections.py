"""Build the statement model from the data map: the sections in reading order, each built by
one function (``sections_core``, ``sections_gdpr``, ``sections_more``, ``sections_ccpa``), with
the organization's own Markdown merged in."""

from __future__ import annotations

from collections.abc import Callable

from ombud import i18n
from ombud.datamap.schemas import DataMap
from ombud.errors import InvalidInput
from ombud.i18n import gettext as _
from ombud.notices.blocks import Block, Custom, Section, Statement, text
from ombud.notices.context import Context
from ombud.notices.sections_ccpa import california
from ombud.notices.sections_core import (
    contact,
    data_we_collect,
    how_we_use_it,
    sharing,
    who_we_are,
)
from ombud.notices.sections_gdpr import (
    automated_decisions,
    hosted_data,
    international_transfers,
    right_to_object,
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

Builder = Callable[[Context], list[Block]]

# Keys are the names used under ``statement:`` in the data map; anchors use hyphens. Titles
# are catalog message ids, translated when the statement is built.
SECTIONS: tuple[tuple[str, str, Builder], ...] = (
    ("who_we_are", "Who we are", who_we_are),
    ("data_we_collect", "What personal data we collect and how", data_we_collect),
    ("how_we_use_it", "How we use your data", how_we_use_it),
    ("right_to_object", "Your right to object", right_to_object),
    ("automated_decisions", "Automated decisions and profiling", automated_decisions),
    ("sharing", "Who we share it with", sharing),
    ("international_transfers", "International transfers", international_transfers),
    ("security", "How we keep it secure", security),
    ("technical_data", "Technical data collected automatically", technical_data),
    ("cookies", "Cookies and similar technologies", cookies),
    ("retention", "How long we keep it", retention),
    ("children", "Children", children),
    ("other_sites", "Links to other sites", other_sites),
    ("your_rights", "Your rights and how to exercise them", your_rights),
    ("california", "Notice for California residents", california),
    ("hosted_data", "Data we host for business customers", hosted_data),
    ("do_not_track", "Do Not Track and Global Privacy Control", do_not_track),
    ("complaints", "Complaints, supervisory authority and dispute resolution", complaints),
    ("changes", "Changes to this statement", changes),
    ("contact", "How to contact us", contact),
)
SECTION_KEYS = tuple(key for key, _t, _b in SECTIONS)


def section_title(key: str) -> str:
    """The title of a section in the current language."""
    titles = {
        "who_we_are": _("Who we are"),
        "data_we_collect": _("What personal data we collect and how"),
        "how_we_use_it": _("How we use your data"),
        "right_to_object": _("Your right to object"),
        "automated_decisions": _("Automated decisions and profiling"),
        "sharing": _("Who we share it with"),
        "international_transfers": _("International transfers"),
        "security": _("How we keep it secure"),
        "technical_data": _("Technical data collected automatically"),
        "cookies": _("Cookies and similar technologies"),
        "retention": _("How long we keep it"),
        "children": _("Children"),
        "other_sites": _("Links to other sites"),
        "your_rights": _("Your rights and how to exercise them"),
        "california": _("Notice for California residents"),
        "hosted_data": _("Data we host for business customers"),
        "do_not_track": _("Do Not Track and Global Privacy Control"),
        "complaints": _("Complaints, supervisory authority and dispute resolution"),
        "changes": _("Changes to this statement"),
        "contact": _("How to contact us"),
    }
    return titles[key]


def _custom_text(datamap: DataMap, language: str) -> dict[str, tuple[str, str]]:
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
        markdown = entry.translations.get(language, entry.markdown)
        out[key] = (entry.mode, markdown)
    return out


def build_statement(
    datamap: DataMap, *, honour_dnt: bool, language: str = "en", phrases: list[str] | None = None
) -> Statement:
    """The whole statement for ``datamap`` in ``language``, with the organization's own text;
    ``phrases`` collects the map's own phrases it shows."""
    with i18n.use(language) as code:
        ctx = Context(datamap, honour_dnt, code, phrases if phrases is not None else [])
        custom = _custom_text(datamap, code)
        sections = []
        for key, _title, builder in SECTIONS:
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
            if not blocks:
                continue
            sections.append(Section(key, section_title(key), tuple(blocks)))
        org = datamap.organization
        intro = text(
            _(
                "This statement explains what personal data {org} collects, why, who receives "
                "it, how long we keep it and the rights you have. It is generated from the same "
                "records that run our systems, so it describes what we actually do."
            ).format(org=org.name)
        )
        return Statement(_("Privacy statement"), org.name, intro, tuple(sections), code)
