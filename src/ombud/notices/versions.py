"""Freezing a rendered statement: content hash, section texts, the sub-processor snapshot."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ombud.datamap.schemas import DataMap, RecipientRole
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

    @property
    def content_hash(self) -> str:
        """sha256 of the Markdown: equal content, equal hash."""
        return hashlib.sha256(self.markdown.encode("utf-8")).hexdigest()


def subprocessor_snapshot(datamap: DataMap) -> list[dict[str, Any]]:
    """Processors with country, purpose and safeguard, in a stable order."""
    out = []
    for r in sorted(datamap.recipient, key=lambda r: r.fides_key):
        if r.role is not RecipientRole.processor:
            continue
        guard = ""
        if words.outside_eea(r.country):
            guard = words.safeguard(r.safeguard, r.safeguard_detail)
        out.append(
            {
                "key": r.fides_key,
                "name": r.name,
                "country": r.country.upper(),
                "country_name": words.country(r.country),
                "purpose": r.purpose,
                "safeguard": guard or "not needed: inside the EU/EEA",
                "url": r.url,
            }
        )
    return out


def render_datamap(datamap: DataMap, *, honour_dnt: bool, base_url: str) -> Rendered:
    """Render ``datamap`` into everything a version stores."""
    statement = build(datamap, honour_dnt=honour_dnt)
    sections = [
        {"key": s.key, "anchor": s.anchor, "title": s.title, "text": section_text(s)}
        for s in statement.sections
    ]
    return Rendered(
        statement=statement,
        html=render_html(statement),
        markdown=render_markdown(statement, base_url=base_url),
        sections=sections,
        subprocessors=subprocessor_snapshot(datamap),
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
