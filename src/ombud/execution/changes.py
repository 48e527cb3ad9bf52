"""What erasure and rectification will do to one request's rows, as plain data.

A ``Change`` is computed once from the rows found, recorded in the store before any target is
touched, then applied; re-applying it sets the same values again (a no-op), and deleting rows
that are gone deletes nothing. That is what makes a crashed run safe to resume.

Masking is planned per collection, not per row: values that are the same on every row (null, a
fixed string) become one SQL assignment for all the rows of a batch, and only strategies with a
value of their own per row (HMAC, hash, random) are computed here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ombud.connectors.base import Rewrite
from ombud.execution.holds import Hold
from ombud.execution.masking import FROM_VALUE, SHARED, Masker, masker, shared_value
from ombud.execution.planner import CollectionPlan, FieldPlan

Row = dict[str, Any]


@dataclass(slots=True)
class Change:
    """One (request, collection, action): the rows to rewrite or delete and what is kept.

    ``key`` is the column that rewrites and deletes match: the primary key, or the reference
    field of a collection erased by reference (``CollectionPlan.reference_field``).
    ``held`` are the keys of rows a legal hold kept (wholly or partly); ``ended`` the keys of
    rows erased because their hold's retention period had ended."""

    request_id: str
    collection: str
    action: str  # mask, delete, rectify, keep, none
    key: str
    # Empty tuples rather than lists by default: a batch makes thousands of changes, most with
    # nothing in several of these.
    rewrites: Sequence[Rewrite] = ()
    deletes: list[Any] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    kept: Sequence[dict[str, Any]] = ()
    old_hashes: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    held: Sequence[Any] = ()
    ended: Sequence[Any] = ()

    @property
    def ident(self) -> tuple[str, str, str]:
        """(request id, collection, action): a step."""
        return (self.request_id, self.collection, self.action)

    @property
    def updates(self) -> list[tuple[Any, dict[str, Any]]]:
        """Each rewritten row as (key, {column: new value}); masking leaves NULL cells NULL."""
        out: list[tuple[Any, dict[str, Any]]] = []
        for rw in self.rewrites:
            for i, k in enumerate(rw.keys):
                new = dict(rw.assign)
                if rw.columns:
                    new.update(zip(rw.columns, rw.values[i], strict=True))
                out.append((k, new))
        return out

    def payload(self) -> dict[str, Any]:
        """What the store keeps to re-apply the change (no clear personal values)."""
        return {
            "key": self.key,
            "rewrites": [
                {
                    "keys": list(rw.keys),
                    "assign": dict(rw.assign),
                    "columns": list(rw.columns),
                    "values": [list(v) for v in rw.values],
                    "keep_null": rw.keep_null,
                }
                for rw in self.rewrites
            ],
            "deletes": list(self.deletes),
        }

    def summary(self) -> dict[str, Any]:
        """What the result reports (rows kept by a hold, or erased as their period ended)."""
        out: dict[str, Any] = {"rows": self.rows, "action": self.action, "fields": self.fields}
        if self.held:
            out["held"] = {"rows": len(self.held), "keys": list(self.held)}
        if self.ended:
            out["retention_ended"] = {"rows": len(self.ended), "keys": list(self.ended)}
        return out

    @classmethod
    def restore(
        cls,
        ident: tuple[str, str, str],
        payload: dict[str, Any],
        summary: dict[str, Any],
        kept: list[dict[str, Any]],
    ) -> Change:
        """Rebuild a change recorded by a previous run."""
        rewrites = [
            Rewrite(
                keys=list(rw["keys"]),
                assign=dict(rw["assign"]),
                columns=list(rw["columns"]),
                values=[list(v) for v in rw["values"]],
                keep_null=bool(rw["keep_null"]),
            )
            for rw in payload.get("rewrites", [])
        ]
        # Steps recorded before rewrites existed: one row and its exact new values each.
        rewrites += [Rewrite([k], dict(v)) for k, v in payload.get("updates", [])]
        return cls(
            request_id=ident[0],
            collection=ident[1],
            action=ident[2],
            key=str(payload.get("key", "")),
            rewrites=rewrites,
            deletes=list(payload.get("deletes", [])),
            fields=list(summary.get("fields", [])),
            kept=kept,
            rows=int(summary.get("rows", 0)),
            held=list((summary.get("held") or {}).get("keys", [])),
            ended=list((summary.get("retention_ended") or {}).get("keys", [])),
        )


@dataclass(frozen=True)
class _Mode:
    """What erasure does to rows in one state of their timed holds."""

    action: str  # delete, mask, keep, none
    names: tuple[str, ...]  # fields rewritten
    assign: dict[str, Any]
    per_row: tuple[tuple[str, Masker, int | None], ...]  # (column, masker, old value index)
    held: tuple[FieldPlan, ...]
    ended: bool


class Eraser:
    """Erasure of one collection for a batch. Rows are tuples of ``columns`` followed by one
    truth value per ``step.timed_holds``: true when that hold's period has ended for the row."""

    def __init__(self, step: CollectionPlan, columns: Sequence[str], key: bytes) -> None:
        self.step = step
        self.name = step.name
        self.secret = key
        self.index = {c: i for i, c in enumerate(columns)}
        self.key_at = self.index[step.key]
        self.holds = step.timed_holds
        self.flags = range(len(columns), len(columns) + len(self.holds))
        self.modes: dict[tuple[bool, ...], _Mode] = {}
        self.plain = self.mode((False,) * len(self.holds))
        self.empty_action = step.erasure_action()
        self.empty_fields = (
            ["*"] if self.empty_action == "delete" else [f.name for f in step.fields if f.erased]
        )

    def _mode(self, state: tuple[bool, ...]) -> _Mode:
        over: set[Hold] = {h for h, ended in zip(self.holds, state, strict=True) if ended}
        fields = self.step.fields
        running = [f for f in fields if f.hold is not None and f.hold not in over]
        erased = [f for f in fields if f.erasable and (f.hold is None or f.hold in over)]
        assign: dict[str, Any] = {}
        per_row: list[tuple[str, Masker, int | None]] = []
        for f in erased:
            strategy = f.strategy
            assert strategy is not None
            if strategy.name in SHARED:
                assign[f.name] = shared_value(strategy)
            else:
                at = self.index[f.name] if strategy.name in FROM_VALUE else None
                per_row.append((f.name, masker(strategy), at))
        held = tuple(f for f in running if f.strategy is not None)
        if self.step.delete_row is not None and not running:
            action = "delete"
        else:
            action = "mask" if erased else "keep" if held else "none"
        return _Mode(
            action=action,
            names=tuple(f.name for f in erased),
            assign=assign,
            per_row=tuple(per_row),
            held=held,
            ended=bool(over),
        )

    def mode(self, state: tuple[bool, ...]) -> _Mode:
        """The (cached) mode of rows in ``state``."""
        found = self.modes.get(state)
        if found is None:
            found = self.modes[state] = self._mode(state)
        return found

    def change(self, request_id: str, rows: Sequence[tuple[Any, ...]]) -> Change:
        """Mask or delete one request's rows of this collection; held fields are kept."""
        key = self.step.key
        if not rows:
            fields = list(self.empty_fields)
            return Change(request_id, self.name, self.empty_action, key, fields=fields)
        if not self.holds:
            return self._plain(request_id, rows)
        split: dict[tuple[bool, ...], list[tuple[Any, ...]]] = defaultdict(list)
        for row in rows:
            split[tuple(bool(row[i]) for i in self.flags)].append(row)
        change = Change(request_id, self.name, "none", key, rows=len(rows))
        rewrites: list[Rewrite] = []
        deletes: list[Any] = []
        held_keys: list[Any] = []
        ended_keys: list[Any] = []
        erased: dict[str, None] = {}
        held: dict[str, FieldPlan] = {}
        k = self.key_at
        for state, group in split.items():
            mode = self.modes.get(state) or self.mode(state)
            keys = [r[k] for r in group]
            if mode.held:
                held_keys += keys
                held.update((f.name, f) for f in mode.held)
            if mode.ended:
                ended_keys += keys
            if mode.action == "delete":
                deletes += keys
            elif mode.action == "mask":
                erased.update(dict.fromkeys(mode.names))
                rewrites.append(self._rewrite(request_id, mode, keys, group))
        change.rewrites, change.deletes = rewrites, deletes
        change.held, change.ended = held_keys, ended_keys
        if rewrites:
            change.action, change.fields = "mask", list(erased)
        elif deletes:
            change.action, change.fields = "delete", ["*"]
        elif held:
            change.action = "keep"
        counts = (len(held_keys), len(ended_keys))
        change.kept = [self._kept(f, *counts) for f in held.values()]
        return change

    def by_reference(self, request_id: str, field: str, values: list[Any], rows: int) -> Change:
        """``change`` of a collection erased through its ``reference_field``: the rows whose
        ``field`` is one of ``values`` (``rows`` of them when they were counted)."""
        mode = self.plain
        if not rows:
            return self.change(request_id, ())
        change = Change(request_id, self.name, mode.action, field, rows=rows)
        if mode.action == "delete":
            change.deletes, change.fields = list(values), ["*"]
        elif mode.action == "mask":
            change.rewrites = [Rewrite(list(values), mode.assign, keep_null=True)]
            change.fields = list(mode.names)
        return change

    def _plain(self, request_id: str, rows: Sequence[tuple[Any, ...]]) -> Change:
        """``change`` of a collection without timed holds (the common case, kept cheap)."""
        mode, k = self.plain, self.key_at
        keys = [r[k] for r in rows]
        change = Change(request_id, self.name, mode.action, self.step.key, rows=len(rows))
        if mode.action == "delete":
            change.deletes, change.fields = keys, ["*"]
        elif mode.action == "mask":
            change.rewrites = [self._rewrite(request_id, mode, keys, rows)]
            change.fields = list(mode.names)
        if mode.held:
            change.held = keys
            change.kept = [self._kept(f, len(keys), 0) for f in mode.held]
        return change

    def _rewrite(
        self, request_id: str, mode: _Mode, keys: list[Any], rows: Sequence[tuple[Any, ...]]
    ) -> Rewrite:
        if not mode.per_row:
            return Rewrite(keys, mode.assign, keep_null=True)
        prefix = f"{request_id}:{self.name}:"
        secret = self.secret
        values = [
            [
                fn("" if at is None else row[at], secret, f"{prefix}{pk}:{c}")
                for c, fn, at in mode.per_row
            ]
            for pk, row in zip(keys, rows, strict=True)
        ]
        columns = [c for c, _, _ in mode.per_row]
        return Rewrite(keys, mode.assign, columns, values, keep_null=True)

    def _kept(self, f: FieldPlan, held: int, ended: int) -> dict[str, Any]:
        assert f.hold is not None
        reason = f.hold.reason
        if ended and f.hold.timed:
            reason += f"; {ended} older row{'s' if ended != 1 else ''} past this period erased"
        return {
            "collection": self.name,
            "field": f.name,
            "reason": reason,
            "rows": held,
            "rule": f.hold.rule,
        }
