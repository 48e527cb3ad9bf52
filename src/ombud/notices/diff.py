"""Word-level differences between two versions, section by section, as ``<ins>``/``<del>``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from markupsafe import Markup, escape

# Words and the whitespace between them are separate tokens so spacing survives the diff.
_TOKEN = re.compile(r"\s+|[^\s]+")


def tokens(value: str) -> list[str]:
    """Split text into words and runs of whitespace."""
    return _TOKEN.findall(value)


def word_diff(before: str, after: str) -> tuple[Markup, int]:
    """HTML marking removed words ``<del>`` and added words ``<ins>``; and the change count."""
    a, b = tokens(before), tokens(after)
    out = Markup("")
    changes = 0
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out += escape("".join(a[i1:i2]))
            continue
        changes += 1
        if op in ("delete", "replace"):
            out += Markup("<del>{}</del>").format("".join(a[i1:i2]))
        if op in ("insert", "replace"):
            out += Markup("<ins>{}</ins>").format("".join(b[j1:j2]))
    return out, changes


@dataclass(frozen=True)
class SectionDiff:
    """One section's difference: ``status`` is same, changed, added or removed."""

    key: str
    anchor: str
    title: str
    status: str
    html: Markup


def diff_sections(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> list[SectionDiff]:
    """Compare the section texts of two versions, in the newer version's order."""
    old = {s["key"]: s for s in before}
    new_keys = {s["key"] for s in after}
    out: list[SectionDiff] = []
    for section in after:
        previous = old.get(section["key"])
        if previous is None:
            html, _ = word_diff("", section["text"])
            out.append(_entry(section, "added", html))
            continue
        html, changes = word_diff(previous["text"], section["text"])
        out.append(_entry(section, "changed" if changes else "same", html))
    for section in before:
        if section["key"] not in new_keys:
            html, _ = word_diff(section["text"], "")
            out.append(_entry(section, "removed", html))
    return out


def _entry(section: dict[str, Any], status: str, html: Markup) -> SectionDiff:
    anchor = str(section.get("anchor") or section["key"].replace("_", "-"))
    return SectionDiff(section["key"], anchor, section["title"], status, html)
