"""Freezing a rendered statement: content hash, section texts, the sub-processor snapshot."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ombud import i18n
from ombud.datamap.schemas import DataMap, RecipientRole
from ombud.datamap.translate import own
from ombud.notices import words
from ombud.notices.blocks import Statement, section_text
from ombud.notices.render import build, render_html, render_markdown


@dataclass(frozen=True)
class Rendered:
    """Everything a version stores, computed from one data map."""

    statement: Statement
    html: str
    markdown: str
    sections: list[dict[str, Any]]
    subprocessors: list[dict[str, Any]]
    # Other languages the statement is published in: {language: {html, markdown, sections}}.
    translations: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """sha256 of the Markdown (and of each translation's): equal content, equal hash."""
        digest = hashlib.sha256(self.markdown.encode("utf-8"))
        for language in sorted(self.translations):
            digest.update(f"\n\0{language}\n".encode())
            digest.update(str(self.translations[language]["markdown"]).encode("utf-8"))
        return digest.hexdigest()


def subprocessor_snapshot(datamap: DataMap, language: str = "en") -> list[dict[str, Any]]:
    """Processors with country, purpose and safeguard, in a stable order (stored in English;
    a page in another language says them with ``subprocessors_in``)."""
    out = []
    with i18n.use(language):
        for r in sorted(datamap.recipient, key=lambda r: r.fides_key):
            if r.role is not RecipientRole.processor:
                continue
            guard = ""
            if words.outside_eea(r.country):
                guard = words.safeguard(r.safeguard, own(datamap, r.safeguard_detail, language))
            out.append(
                {
                    "key": r.fides_key,
                    "name": r.name,
                    "country": r.country.upper(),
                    "country_name": words.country(r.country),
                    "purpose": own(datamap, r.purpose, language),
                    "safeguard": guard or i18n.gettext("not needed: inside the EU/EEA"),
                    "url": r.url,
                }
            )
    return out


def subprocessors_in(
    rows: list[dict[str, Any]], datamap: DataMap | None, language: str
) -> list[dict[str, Any]]:
    """Published rows in ``language``: a row the data map in force still says the same way is
    said in that language (country names from Babel, the map's translations); others stay."""
    if language == i18n.SOURCE or datamap is None:
        return rows
    english = {row["key"]: row for row in subprocessor_snapshot(datamap)}
    local = {row["key"]: row for row in subprocessor_snapshot(datamap, language)}
    return [local[row["key"]] if english.get(row.get("key")) == row else row for row in rows]


def _sections(statement: Statement) -> list[dict[str, Any]]:
    return [
        {"key": s.key, "anchor": s.anchor, "title": s.title, "text": section_text(s)}
        for s in statement.sections
    ]


def render_language(
    datamap: DataMap, *, honour_dnt: bool, base_url: str, language: str
) -> dict[str, Any]:
    """One language's rendering: {html, markdown, sections}."""
    statement = build(datamap, honour_dnt=honour_dnt, language=language)
    return {
        "html": render_html(statement),
        "markdown": render_markdown(statement, base_url=base_url),
        "sections": _sections(statement),
    }


def render_datamap(
    datamap: DataMap, *, honour_dnt: bool, base_url: str, language: str = "en"
) -> Rendered:
    """Render ``datamap`` into everything a version stores: English (or ``language``) in
    the main fields, every other language of ``organization.languages`` in translations."""
    statement = build(datamap, honour_dnt=honour_dnt, language=language)
    others = [code for code in datamap.organization.languages if code != language]
    return Rendered(
        statement=statement,
        html=render_html(statement),
        markdown=render_markdown(statement, base_url=base_url),
        sections=_sections(statement),
        subprocessors=subprocessor_snapshot(datamap),
        translations={
            code: render_language(datamap, honour_dnt=honour_dnt, base_url=base_url, language=code)
            for code in others
        },
    )


@dataclass(frozen=True)
class SubprocessorChange:
    """Processors added to, removed from or changed in one published version."""

    number: int
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        """True when the list did not change."""
        return not (self.added or self.removed or self.changed)


def subprocessor_changes(
    before: list[dict[str, Any]], after: list[dict[str, Any]], *, number: int
) -> SubprocessorChange:
    """What changed in the processor list from one snapshot to the next."""
    old = {p["key"]: p for p in before}
    new = {p["key"]: p for p in after}
    return SubprocessorChange(
        number=number,
        added=[new[k] for k in sorted(new.keys() - old.keys())],
        removed=[old[k] for k in sorted(old.keys() - new.keys())],
        changed=[new[k] for k in sorted(new.keys() & old.keys()) if new[k] != old[k]],
    )
