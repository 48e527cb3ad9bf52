"""What erasure and rectification will do to one request's rows, as plain data.

A ``Change`` is computed once from the rows found, recorded in the store before any target is
touched, then applied; re-applying it sets the same values again (a no-op), and deleting rows
that are gone deletes nothing. That is what makes a crashed run safe to resume."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from ombud.execution.masking import mask, matches
from ombud.execution.planner import CollectionPlan

Row = dict[str, Any]


@dataclass
class Change:
    """One (request, collection, action): the rows to update or delete and what is kept."""

    request_id: str
    collection: str
    action: str  # mask, delete, rectify, keep, none
    key: str
    updates: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    deletes: list[Any] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    kept: list[dict[str, str]] = field(default_factory=list)
    old_hashes: dict[str, str] = field(default_factory=dict)
    rows: int = 0

    @property
    def ident(self) -> tuple[str, str, str]:
        """(request id, collection, action): a step."""
        return (self.request_id, self.collection, self.action)

    def payload(self) -> dict[str, Any]:
        """What the store keeps to re-apply the change (no clear personal values)."""
        return {
            "key": self.key,
            "updates": [[k, v] for k, v in self.updates],
            "deletes": list(self.deletes),
        }

    def summary(self) -> dict[str, Any]:
        """What the result reports."""
        return {"rows": self.rows, "action": self.action, "fields": self.fields}

    @classmethod
    def restore(
        cls,
        ident: tuple[str, str, str],
        payload: dict[str, Any],
        summary: dict[str, Any],
        kept: list[dict[str, str]],
    ) -> Change:
        """Rebuild a change recorded by a previous run."""
        return cls(
            request_id=ident[0],
            collection=ident[1],
            action=ident[2],
            key=str(payload.get("key", "")),
            updates=[(k, dict(v)) for k, v in payload.get("updates", [])],
            deletes=list(payload.get("deletes", [])),
            fields=list(summary.get("fields", [])),
            kept=kept,
            rows=int(summary.get("rows", 0)),
        )


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()


def erasure_change(request_id: str, step: CollectionPlan, rows: list[Row], key: bytes) -> Change:
    """Mask or delete the person's rows of one collection; held fields are kept."""
    action = step.erasure_action()
    kept = [
        {"collection": step.name, "field": f.name, "reason": f.hold.reason}
        for f in step.fields
        if f.hold is not None and f.strategy is not None
    ]
    change = Change(request_id, step.name, action, step.key, kept=kept if rows else [])
    change.rows = len(rows)
    if action == "delete":
        change.deletes = [r[step.key] for r in rows]
        change.fields = ["*"]
    elif action == "mask":
        erased = [f for f in step.fields if f.erased]
        change.fields = [f.name for f in erased]
        for row in rows:
            pk = row[step.key]
            new = {
                f.name: mask(
                    f.strategy,  # type: ignore[arg-type]
                    row.get(f.name),
                    key=key,
                    seed=f"{request_id}:{step.name}:{pk}:{f.name}",
                )
                for f in erased
            }
            change.updates.append((pk, new))
    return change


def _wanted(step: CollectionPlan, rectification: dict[str, Any]) -> dict[str, Any]:
    """Fields of ``step`` named by the request: ``dataset.collection.field``,
    ``collection.field`` or a data category."""
    out: dict[str, Any] = {}
    for f in step.fields:
        for target, value in rectification.items():
            if target in (f"{step.name}.{f.name}", f"{step.collection}.{f.name}") or (
                "." in target and any(matches(c, target) for c in f.categories)
            ):
                out[f.name] = value
    return {k: v for k, v in out.items() if k != step.primary_key}


def rectification_change(
    request_id: str, step: CollectionPlan, rows: list[Row], rectification: dict[str, Any]
) -> Change:
    """Set only the fields asked for; old values are kept as hashes for the audit trail."""
    wanted = _wanted(step, rectification)
    change = Change(request_id, step.name, "rectify" if wanted else "none", step.key)
    change.fields = sorted(wanted)
    for row in rows if wanted else []:
        pk = row[step.key]
        differs = {k: v for k, v in wanted.items() if row.get(k) != v}
        if differs:
            change.updates.append((pk, differs))
            for k in differs:
                change.old_hashes[f"{pk}:{k}"] = _digest(row.get(k))
    change.rows = len(change.updates)
    return change
