"""Rectification: set exactly the fields the person asked for, on rows that are theirs.

A row is the person's own ("owned") when a verified identity of theirs reached it directly
(its identity field holds that identity), or when a reference marked ``owned: true`` in the
data map leads to it from an owned row. Rows reached otherwise (a family member's mailbox under
a shared account) may belong to someone else: they are reported, not changed. ``read_only``
fields, fields the data map does not let people correct and rows of a collection under a legal
hold are never changed either; each is reported with the reason (``Change.kept``), which the
result and the completion letter carry."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ombud.connectors.base import Rewrite
from ombud.datamap import correctable
from ombud.datamap.schemas import DataMap
from ombud.execution.changes import Change
from ombud.execution.planner import CollectionPlan, FieldPlan, Plan, build_plan, identity_values
from ombud.execution.reading import ConnectorPool, Found, RequestSpec, collect

SHARED = (
    "reached only through a record shared with other people ({via}); it may not be yours "
    "alone, so we did not change it"
)
READ_ONLY = "this field is read-only in our records and is not changed by a request"
NOT_CORRECTABLE = "this field cannot be corrected through a request"


@dataclass(slots=True)
class RectifyChange(Change):
    """A rectification ``Change`` that also knows, in memory only, each value it changes:
    (row key, field, old value, new value). The store keeps only hashes of old values."""

    diffs: Sequence[tuple[Any, str, Any, Any]] = ()


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _split(address: str) -> tuple[str, str]:
    """``dataset.collection.field`` -> (``dataset.collection``, ``field``)."""
    dataset, collection, field = address.split(".", 2)
    return f"{dataset}.{collection}", field


def owned_rows(plan: Plan, spec: RequestSpec, found: Found) -> dict[str, set[int]]:
    """Positions of the person's own rows in ``found.of(spec.id, collection)``."""
    values = {k: _norm(v.strip()) for k, v in identity_values(spec.identities).items()}
    owned: dict[str, set[int]] = {}
    for step in plan.steps:
        columns = found.columns.get(step.name)
        if columns is None:
            continue
        rows = found.of(spec.id, step.name)
        mine: set[int] = set()
        for name, kind in step.identities.items():
            value = values.get(kind)
            if not value or name not in columns:
                continue  # a blank identity never makes a row anyone's
            at = columns.index(name)
            mine.update(i for i, row in enumerate(rows) if _norm(row[at]) == value)
        owned[step.name] = mine
    edges = [(_split(src), _split(dst)) for src, dst in sorted(plan.owned)]
    grew = True
    while grew:  # a chain of owned references, in whatever order collections come
        grew = False
        for (src, src_field), (dst, dst_field) in edges:
            if src not in owned or dst not in owned:
                continue
            src_cols, dst_cols = found.columns[src], found.columns[dst]
            if src_field not in src_cols or dst_field not in dst_cols:
                continue
            s_at, d_at = src_cols.index(src_field), dst_cols.index(dst_field)
            src_rows = found.of(spec.id, src)
            keys = {_norm(src_rows[i][s_at]) for i in owned[src]} - {None}
            for i, row in enumerate(found.of(spec.id, dst)):
                if i not in owned[dst] and _norm(row[d_at]) in keys:
                    owned[dst].add(i)
                    grew = True
    return owned


def _targets(step: CollectionPlan, corrections: dict[str, Any]) -> dict[str, tuple[FieldPlan, Any]]:
    """Fields of ``step`` a correction names: by ``[dataset.]collection.field`` (which wins),
    or by a category the field holds exactly."""
    out: dict[str, tuple[FieldPlan, Any]] = {}
    by_name: dict[str, tuple[FieldPlan, Any]] = {}
    for f in step.fields:
        for key, value in corrections.items():
            if key in (f"{step.name}.{f.name}", f"{step.collection}.{f.name}"):
                by_name[f.name] = (f, value)
            elif key in f.categories and f.name not in out:
                out[f.name] = (f, value)
    out.update(by_name)
    return out


def _via(step: CollectionPlan) -> str:
    sources = sorted({f"{e.src.collection}.{e.src.field}" for e in step.incoming})
    return "through " + ", ".join(sources) if sources else "not through your own record"


def collection_change(
    step: CollectionPlan,
    request_id: str,
    rows: Sequence[tuple[Any, ...]],
    columns: Sequence[str],
    owned: set[int],
    corrections: dict[str, Any],
) -> RectifyChange:
    """The rectification of one collection for one request, with what it leaves and why."""
    targets = _targets(step, corrections)
    change = RectifyChange(request_id, step.name, "none", step.key)
    if not targets:
        return change
    at = {c: i for i, c in enumerate(columns)}
    key_at = at[step.key]
    held = next((f.hold for f in step.fields if f.hold is not None), None)
    kept: list[dict[str, Any]] = []
    wanted: dict[str, Any] = {}
    for name, (f, value) in sorted(targets.items()):
        reason = None
        if f.read_only:
            reason = READ_ONLY
        elif held is not None:
            reason = f"kept as it is under a legal hold: {held.reason}"
        elif not f.correctable:
            reason = NOT_CORRECTABLE
        if reason is None and name in at:
            wanted[name] = value
        elif reason is not None and rows:
            item = {"collection": step.name, "field": name, "reason": reason, "rows": len(rows)}
            kept.append(item)
    if held is not None and rows:
        change.held = [r[key_at] for r in rows]
    shared = [i for i in range(len(rows)) if i not in owned]
    if wanted and shared:
        reason = SHARED.format(via=_via(step))
        kept += [
            {"collection": step.name, "field": name, "reason": reason, "rows": len(shared)}
            for name in wanted
        ]
    by_fields: dict[tuple[str, ...], list[Any]] = defaultdict(list)
    diffs: list[tuple[Any, str, Any, Any]] = []
    for i in sorted(owned) if wanted else []:
        row = rows[i]
        pk = row[key_at]
        differs = [k for k, v in wanted.items() if row[at[k]] != v]
        if differs:
            by_fields[tuple(differs)].append(pk)
            for k in differs:
                change.old_hashes[f"{pk}:{k}"] = _digest(row[at[k]])
                diffs.append((pk, k, row[at[k]], wanted[k]))
    change.rewrites = [
        Rewrite(keys, {c: wanted[c] for c in cols}) for cols, keys in by_fields.items()
    ]
    change.diffs = diffs
    change.kept = kept
    change.fields = sorted(wanted)
    change.rows = sum(len(keys) for keys in by_fields.values())
    change.action = "rectify" if wanted else "keep" if kept else "none"
    return change


def plan_rectification(plan: Plan, spec: RequestSpec, found: Found) -> list[Change]:
    """Every collection's rectification for one request, in erasure order."""
    corrections = spec.rectification or {}
    owned = owned_rows(plan, spec, found)
    out: list[Change] = []
    for step in plan.erase_order():
        columns = found.columns.get(step.name)
        if columns is None:
            continue
        rows = found.of(spec.id, step.name)
        out.append(
            collection_change(
                step, spec.id, rows, columns, owned.get(step.name, set()), corrections
            )
        )
    return out


@dataclass(frozen=True)
class Current:
    """A requested correction next to the value held now (on the person's own rows)."""

    key: str
    label: str
    current: list[str]
    requested: Any


def current_values(
    datamap: DataMap,
    request_id: str,
    email: str,
    corrections: dict[str, Any],
    *,
    connections: dict[str, str] | None = None,
) -> list[Current]:
    """What is held now for each requested correction, read through the access path of the
    verified email alone, on the person's own rows."""
    plan = build_plan(datamap, connections=connections)
    spec = RequestSpec(request_id, "rectification", {"email": email}, corrections)
    with ConnectorPool(datamap, connections) as pool:
        found = collect(plan, [spec], pool)
    owned = owned_rows(plan, spec, found)
    out: list[Current] = []
    for key, new in corrections.items():
        values: dict[str, None] = {}
        for step in plan.steps:
            columns = found.columns.get(step.name)
            if columns is None:
                continue
            rows = found.of(spec.id, step.name)
            for name, (f, _value) in _targets(step, {key: new}).items():
                if f.read_only or not f.correctable or name not in columns:
                    continue
                at = columns.index(name)
                for i in sorted(owned.get(step.name, ())):
                    if rows[i][at] is not None:
                        values[str(rows[i][at])] = None
        option = correctable.find(datamap, key)
        out.append(Current(key, option.label if option else key, list(values), new))
    return out
