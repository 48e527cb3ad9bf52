"""What people may ask to correct (rectification), read from the data map.

A field is correctable when it says ``correctable: true``, or when one of its categories is (or
lies below) a category of the data map's ``correctable:`` list and the field does not say
``correctable: false``. ``read_only`` fields and primary keys never are. A request names a
field as ``collection.field`` (or ``dataset.collection.field``) or a listed category; a category
sets the fields whose categories include exactly that category (a full name is not a first
name: ``user.name.first`` fields are corrected by their own key).

References marked ``owned: true`` bring rows that belong to the person the referenced row
belongs to; the engine corrects only such rows (see ``owned_references``)."""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from ombud.datamap.schemas import DataMap
from ombud.datamap.schemas_fides import DatasetField
from ombud.datamap.taxonomy import label
from ombud.errors import InvalidInput

MAX_TEXT = 1000
INT_RANGE = (-(2**63), 2**63 - 1)


def _under(category: str, target: str) -> bool:
    return category == target or category.startswith(target + ".")


def is_correctable(marker: bool | None, categories: tuple[str, ...], listed: list[str]) -> bool:
    """True when a field marked ``marker`` with ``categories`` may be corrected."""
    if marker is not None:
        return marker
    return any(_under(c, t) for c in categories for t in listed)


@dataclass(frozen=True)
class Target:
    """One column a correction may set."""

    dataset: str
    collection: str
    field: str
    categories: tuple[str, ...]
    data_type: str | None
    length: int | None
    read_only: bool
    correctable: bool

    @property
    def name(self) -> str:
        """``dataset.collection.field``."""
        return f"{self.dataset}.{self.collection}.{self.field}"


@dataclass(frozen=True)
class Option:
    """One thing the person may ask to correct: a field or a data category."""

    key: str
    label: str
    kind: str  # field, category
    hint: str
    targets: tuple[Target, ...]


def _targets(datamap: DataMap) -> list[tuple[Target, DatasetField]]:
    out: list[tuple[Target, DatasetField]] = []
    for ds in datamap.dataset:
        for coll in ds.collections:
            if coll.fides_meta is not None and coll.fides_meta.skip_processing:
                continue
            inherited = coll.data_categories or ds.data_categories or []
            for f in coll.fields:
                meta = f.fides_meta
                categories = tuple(f.data_categories or inherited)
                read_only = bool(meta and meta.read_only)
                primary = bool(meta and meta.primary_key)
                ok = is_correctable(f.correctable, categories, datamap.correctable)
                target = Target(
                    dataset=ds.fides_key,
                    collection=coll.name,
                    field=f.name,
                    categories=categories,
                    data_type=meta.data_type if meta else None,
                    length=meta.length if meta else None,
                    read_only=read_only,
                    correctable=ok and not read_only and not primary,
                )
                out.append((target, f))
    return out


def options(datamap: DataMap) -> list[Option]:
    """Every field and category the person may ask to correct, fields first."""
    pairs = _targets(datamap)
    datasets: dict[str, set[str]] = {}
    for t, _ in pairs:
        datasets.setdefault(t.collection, set()).add(t.dataset)
    out: list[Option] = []
    for t, f in pairs:
        if not t.correctable:
            continue
        # The short name unless two datasets have a collection of that name.
        unique = len(datasets[t.collection]) == 1
        key = f"{t.collection}.{t.field}" if unique else t.name
        words = f"{t.field.replace('_', ' ').capitalize()} ({t.collection.replace('_', ' ')})"
        out.append(Option(key, words, "field", f.description or "", (t,)))
    for category in datamap.correctable:
        hits = tuple(
            t for t, _ in pairs if category in t.categories and (t.correctable or t.read_only)
        )
        if hits:
            where = ", ".join(sorted({f"{t.collection}.{t.field}" for t in hits}))
            words = label("data_category", category, datamap)
            hint = f"everywhere we hold it ({where})"
            out.append(Option(category, words, "category", hint, hits))
    return out


def find(datamap: DataMap, key: str) -> Option | None:
    """The option a request key names (``dataset.collection.field`` works for fields too)."""
    for option in options(datamap):
        if key == option.key:
            return option
        if option.kind == "field" and key == option.targets[0].name:
            return option
    return None


def _coerce(key: str, value: Any, target: Target) -> Any:
    """``value`` as the column's type, or ``InvalidInput`` naming the key."""
    kind = (target.data_type or "string").lower()
    where = f"rectification['{key}']"
    if kind in ("integer", "int", "bigint"):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidInput(f"{where}: {target.field} holds whole numbers; give one")
        if not INT_RANGE[0] <= value <= INT_RANGE[1]:
            raise InvalidInput(f"{where}: the number is too large")
        return value
    if kind in ("float", "number", "decimal"):
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise InvalidInput(f"{where}: {target.field} holds numbers; give one") from None
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            raise InvalidInput(f"{where}: {target.field} holds numbers; give one")
        return value
    if kind in ("boolean", "bool"):
        words = {"true": True, "yes": True, "false": False, "no": False}
        if isinstance(value, str) and value.strip().lower() in words:
            value = words[value.strip().lower()]
        if not isinstance(value, bool):
            raise InvalidInput(f"{where}: {target.field} is yes or no; give true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f"{where}: give the correct value as text")
    text = str(value).strip()
    if not text:
        raise InvalidInput(f"{where}: give the correct value (it is empty)")
    limit = min(target.length or MAX_TEXT, MAX_TEXT)
    if len(text) > limit:
        raise InvalidInput(f"{where}: at most {limit} characters fit here (got {len(text)})")
    if any(ord(c) < 32 and c not in "\t\n" for c in text):
        raise InvalidInput(f"{where}: the value holds control characters")
    return text


def check(datamap: DataMap, corrections: dict[str, Any]) -> dict[str, Any]:
    """The corrections with each key checked against the map and each value against its
    columns; ``InvalidInput`` names the first bad key and lists what may be corrected."""
    allowed = options(datamap)
    keys = [o.key for o in allowed]
    out: dict[str, Any] = {}
    for key, value in corrections.items():
        option = find(datamap, key)
        if option is None:
            listing = ", ".join(keys) or "nothing (the data map marks no field correctable)"
            near = difflib.get_close_matches(key, keys, n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise InvalidInput(
                f"rectification: '{key}' cannot be corrected through a request{hint} "
                f"You may ask to correct: {listing}",
                detail={"key": key, "correctable": keys},
            )
        coerced = value
        for target in option.targets:
            if target.correctable:
                coerced = _coerce(key, value, target)
        out[option.key] = coerced
    return out


def owned_references(datamap: DataMap) -> frozenset[tuple[str, str]]:
    """(source, destination) field addresses ``dataset.collection.field`` of references
    marked ``owned: true``, in the direction values flow (as in ``graph.build_graph``)."""
    out: set[tuple[str, str]] = set()
    for ds in datamap.dataset:
        for coll in ds.collections:
            for f in coll.fields:
                meta = f.fides_meta
                for ref in (meta.references or []) if meta else []:
                    if not ref.owned:
                        continue
                    here = f"{ds.fides_key}.{coll.name}.{f.name}"
                    there = f"{ref.dataset}.{ref.field}"
                    if ref.direction in (None, "from"):
                        out.add((there, here))
                    if ref.direction in (None, "to"):
                        out.add((here, there))
    return frozenset(out)
