"""What changed between two data maps: systems, datasets, collections, fields, purposes,
recipients and retention rules added, removed or changed, in plain words, and a unified diff
of the normalised documents as YAML text."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from sqlalchemy.orm import Session

from ombud.datamap import service

# The unified diff is for reading; past this many lines it says how many more there are.
MAX_TEXT_LINES = 4000
_SHOWN = 80  # characters of a value quoted in a sentence

Items = dict[str, dict[str, Any]]


@dataclass
class Section:
    """One kind of thing (e.g. recipients) and a sentence per change."""

    title: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many things of this kind changed."""
        return len(self.added) + len(self.removed) + len(self.changed)


@dataclass
class MapDiff:
    """The changes from ``old`` to ``new`` (version numbers or names such as "draft")."""

    old: str
    new: str
    sections: list[Section]
    text: str
    truncated: int = 0

    @property
    def count(self) -> int:
        """How many things changed in all."""
        return sum(s.count for s in self.sections)


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _scalars(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


def _field_change(name: str, old: Any, new: Any) -> str:
    """``period: P10Y → P8Y``, ``data_categories: added a; removed b``."""
    if old in (None, "", [], {}):
        return f"{name} set to {_value(new)}"
    if new in (None, "", [], {}):
        return f"{name} cleared (was {_value(old)})"
    if _scalars(old) and _scalars(new):
        plus = [str(v) for v in new if v not in old]
        minus = [str(v) for v in old if v not in new]
        parts = [f"added {', '.join(plus)}"] if plus else []
        parts += [f"removed {', '.join(minus)}"] if minus else []
        return f"{name}: {'; '.join(parts) or 'reordered'}"
    if isinstance(old, dict | list) or isinstance(new, dict | list):
        return f"{name} changed"
    return f"{name}: {_value(old)} → {_value(new)}"


def _label(what: str, key: str, item: dict[str, Any]) -> str:
    name = item.get("name")
    if not key:  # the organisation: one of a kind
        return f"{what} “{name}”"
    return f"{what} “{name}” ({key})" if name and name != key else f"{what} {key}"


def _compare(
    section: Section, what: str, old: Items, new: Items, skip: frozenset[str] = frozenset()
) -> Section:
    for key, item in new.items():
        if key not in old:
            section.added.append(f"Added {_label(what, key, item)}.")
    for key, item in old.items():
        if key not in new:
            section.removed.append(f"Removed {_label(what, key, item)}.")
    for key, item in new.items():
        before = old.get(key)
        if before is None or before == item:
            continue
        names = [n for n in dict.fromkeys([*before, *item]) if n not in skip]
        changes = [
            _field_change(n, before.get(n), item.get(n))
            for n in names
            if before.get(n) != item.get(n)
        ]
        if changes:
            section.changed.append(f"Changed {_label(what, key, item)}: {'; '.join(changes)}.")
    return section


def _keyed(old: dict[str, Any], new: dict[str, Any], kind: str) -> tuple[Items, Items]:
    """Both maps' items of one list (e.g. ``recipient``) by their fides_key."""
    return (
        {str(i.get("fides_key")): i for i in old.get(kind, [])},
        {str(i.get("fides_key")): i for i in new.get(kind, [])},
    )


def _purposes(doc: dict[str, Any]) -> Items:
    out: Items = {}
    for system in doc.get("system", []):
        for decl in system.get("privacy_declarations", []):
            key = f"{system.get('fides_key')}: {decl.get('name') or decl.get('data_use')}"
            while key in out:  # two declarations of one system with the same name
                key += "*"
            out[key] = {**decl, "name": ""}
    return out


def _fields(prefix: str, fields: list[dict[str, Any]] | None) -> Iterator[tuple[str, Any]]:
    for f in fields or []:
        dotted = f"{prefix}.{f.get('name')}"
        yield dotted, f
        yield from _fields(dotted, f.get("fields"))


def _collections(doc: dict[str, Any]) -> tuple[Items, Items]:
    collections: Items = {}
    fields: Items = {}
    for dataset in doc.get("dataset", []):
        for collection in dataset.get("collections", []):
            key = f"{dataset.get('fides_key')}.{collection.get('name')}"
            collections[key] = {**collection, "name": ""}
            fields.update((k, {**v, "name": ""}) for k, v in _fields(key, collection.get("fields")))
    return collections, fields


def diff_documents(
    old: dict[str, Any], new: dict[str, Any], *, old_name: str, new_name: str
) -> MapDiff:
    """The changes between two normalised documents, in words and as a unified text diff."""
    old_collections, old_fields = _collections(old)
    new_collections, new_fields = _collections(new)
    org = {"": old.get("organization", {})}, {"": new.get("organization", {})}
    kinds: list[tuple[str, str, Items, Items, frozenset[str]]] = [
        ("Organisation", "organisation", *org, frozenset()),
        ("Systems", "system", *_keyed(old, new, "system"), frozenset({"privacy_declarations"})),
        ("Purposes (processing activities)", "purpose", _purposes(old), _purposes(new),
         frozenset()),
        ("Datasets", "dataset", *_keyed(old, new, "dataset"), frozenset({"collections"})),
        ("Collections", "collection", old_collections, new_collections, frozenset({"fields"})),
        ("Fields", "field", old_fields, new_fields, frozenset({"fields"})),
        ("Recipients", "recipient", *_keyed(old, new, "recipient"), frozenset()),
        ("Retention rules", "retention rule", *_keyed(old, new, "retention"), frozenset()),
    ]  # fmt: skip
    sections = [_compare(Section(title), what, a, b, skip) for title, what, a, b, skip in kinds]
    lines = list(
        difflib.unified_diff(
            _yaml(old), _yaml(new), fromfile=old_name, tofile=new_name, lineterm=""
        )
    )
    shown = lines[:MAX_TEXT_LINES]
    return MapDiff(old_name, new_name, sections, "\n".join(shown), len(lines) - len(shown))


def _yaml(document: dict[str, Any]) -> list[str]:
    text = yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=100)
    return text.splitlines()


def compare(session: Session, old: int, new: int) -> MapDiff:
    """The changes from stored version ``old`` to version ``new`` (``NotFound`` if missing)."""
    before = service.get_version(session, old)
    after = service.get_version(session, new)
    return diff_documents(
        before.document, after.document, old_name=f"version {old}", new_name=f"version {new}"
    )
