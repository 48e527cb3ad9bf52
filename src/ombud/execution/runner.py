"""Batch execution: one query per collection per batch for N requests, then the changes,
each (batch x collection) applied in one target transaction and journalled as done.

``execute_batch`` needs no store: a ``Journal`` records planned and done steps (the store's
journal lives in ``tasks.py``; ``MemoryJournal`` serves benchmarks and previews)."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ombud.connectors.base import Connector, connector_for
from ombud.datamap.schemas import Connection, DataMap
from ombud.errors import InvalidInput
from ombud.execution.changes import Change, Row, erasure_change, rectification_change
from ombud.execution.planner import (
    ACCESS_TYPES,
    ERASURE_TYPES,
    RECTIFICATION_TYPES,
    CollectionPlan,
    Plan,
    identity_values,
)

# Fault injection for the crash tests: exit hard after this many target commits.
CRASH_ENV = "OMBUD_TEST_CRASH_AFTER_COMMITS"


@dataclass(frozen=True)
class RequestSpec:
    """What the engine needs of a request."""

    id: str
    type: str
    identities: dict[str, str]
    rectification: dict[str, Any] | None = None


@dataclass
class RequestOutcome:
    """Rows found (access) and changes made or planned (erasure, rectification)."""

    spec: RequestSpec
    rows: dict[str, list[Row]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)

    def kept(self) -> list[dict[str, str]]:
        """Held fields, once per (collection, field)."""
        seen: dict[tuple[str, str], dict[str, str]] = {}
        for c in self.changes:
            for k in c.kept:
                seen.setdefault((k["collection"], k["field"]), k)
        return list(seen.values())


class Journal(Protocol):
    """Where steps are recorded so that a crashed batch resumes without doing anything twice."""

    def planned(self, request_ids: Sequence[str]) -> dict[str, list[Change]]:
        """Changes recorded earlier for these requests."""

    def record_planned(self, changes: Sequence[Change]) -> None:
        """Durably record changes before any target is touched."""

    def done(self, request_ids: Sequence[str]) -> set[tuple[str, str, str]]:
        """Steps already applied."""

    def mark_done(self, changes: Sequence[Change]) -> None:
        """Durably record that these changes were applied (after the target commit)."""


class MemoryJournal:
    """A journal in memory: for previews, benchmarks and single-process runs."""

    def __init__(self) -> None:
        self._planned: dict[str, list[Change]] = defaultdict(list)
        self._done: set[tuple[str, str, str]] = set()

    def planned(self, request_ids: Sequence[str]) -> dict[str, list[Change]]:
        """Changes recorded earlier."""
        return {r: self._planned[r] for r in request_ids if r in self._planned}

    def record_planned(self, changes: Sequence[Change]) -> None:
        """Keep them."""
        for c in changes:
            self._planned[c.request_id].append(c)

    def done(self, request_ids: Sequence[str]) -> set[tuple[str, str, str]]:
        """Applied steps."""
        return {d for d in self._done if d[0] in request_ids}

    def mark_done(self, changes: Sequence[Change]) -> None:
        """Remember them."""
        self._done.update(c.ident for c in changes)


class ConnectorPool:
    """Opens one connector per named connection, on first use; closes them all at the end."""

    def __init__(self, datamap: DataMap, extra: dict[str, str] | None = None) -> None:
        self.connections = {c.name: c for c in datamap.connection}
        for name, url in (extra or {}).items():
            self.connections.setdefault(name, Connection(name=name, url=url))
        self.open: dict[str, Connector] = {}

    def get(self, name: str) -> Connector:
        """The connector of connection ``name``."""
        if name not in self.open:
            connection = self.connections.get(name)
            if connection is None:
                raise InvalidInput(
                    f"connection '{name}' is used by a dataset but not defined "
                    "(add it under 'connection:' in the data map or OMBUD_CONNECTIONS)"
                )
            self.open[name] = connector_for(connection)
        return self.open[name]

    def close(self) -> None:
        """Roll back anything open and close every connector."""
        for conn in self.open.values():
            try:
                conn.rollback()
            finally:
                conn.close()
        self.open.clear()

    def __enter__(self) -> ConnectorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def collect_collection(
    pool: ConnectorPool,
    step: CollectionPlan,
    seeds: dict[str, dict[Any, set[str]]],
) -> dict[str, list[Row]]:
    """Unit of work: one query for one collection and a whole batch; rows per request id.

    ``seeds`` maps each query field to {value: request ids}; a plain-data argument, so a job
    queue can run this unit anywhere."""
    where = {f: list(vals) for f, vals in seeds.items() if vals}
    out: dict[str, list[Row]] = defaultdict(list)
    if not where:
        return out
    lookup = {f: {_norm(v): ids for v, ids in vals.items()} for f, vals in seeds.items()}
    seen: dict[str, set[Any]] = defaultdict(set)
    fields = list(lookup.items())
    nobody: set[str] = set()
    for row in pool.get(step.connection).fetch(step.table, where, step.columns):
        if len(fields) == 1:  # the common case, kept cheap: one identity or one reference
            owners = fields[0][1].get(_norm(row.get(fields[0][0])), nobody)
        else:
            owners = set()
            for f, values in fields:
                owners = owners | values.get(_norm(row.get(f)), nobody)
        identity = row[step.primary_key] if step.primary_key else tuple(row.values())
        for owner in owners:
            if identity not in seen[owner]:
                seen[owner].add(identity)
                out[owner].append(row)
    return out


def collect(
    plan: Plan,
    specs: Sequence[RequestSpec],
    pool: ConnectorPool,
    *,
    progress: Callable[[CollectionPlan], None] | None = None,
) -> dict[str, dict[str, list[Row]]]:
    """Traverse the plan for every request of the batch: {request id: {collection: rows}}."""
    found: dict[str, dict[str, list[Row]]] = {s.id: {} for s in specs}
    identities = {s.id: identity_values(s.identities) for s in specs}
    for step in plan.steps:
        seeds: dict[str, dict[Any, set[str]]] = {f: defaultdict(set) for f in step.query_fields}
        for spec in specs:
            for fname, kind in step.identities.items():
                value = identities[spec.id].get(kind)
                if value is not None:
                    seeds[fname][value].add(spec.id)
            for edge in step.incoming:
                for row in found[spec.id].get(f"{edge.src.dataset}.{edge.src.collection}", []):
                    value = row.get(edge.src.field)
                    if value is not None:
                        seeds[edge.dst.field][value].add(spec.id)
        rows = collect_collection(pool, step, seeds)
        for spec in specs:
            found[spec.id][step.name] = rows.get(spec.id, [])
        if progress is not None:
            progress(step)
    for conn in pool.open.values():
        conn.rollback()  # reads only: end the transaction, release snapshots
    return found


def plan_changes(
    plan: Plan, spec: RequestSpec, rows: dict[str, list[Row]], key: bytes
) -> list[Change]:
    """Every change erasure or rectification makes for one request."""
    out: list[Change] = []
    for step in plan.erase_order():
        found = rows.get(step.name, [])
        if spec.type in ERASURE_TYPES:
            out.append(erasure_change(spec.id, step, found, key))
        elif spec.type in RECTIFICATION_TYPES:
            out.append(rectification_change(spec.id, step, found, spec.rectification or {}))
    return out


def apply_collection(pool: ConnectorPool, step: CollectionPlan, changes: Iterable[Change]) -> int:
    """Unit of work: apply a batch's changes to one collection in one target transaction."""
    updates: list[tuple[Any, dict[str, Any]]] = []
    deletes: list[Any] = []
    for c in changes:
        updates.extend(c.updates)
        deletes.extend(c.deletes)
    if not updates and not deletes:
        return 0
    conn = pool.get(step.connection)
    count = 0
    if updates:
        count += conn.update(step.table, step.key, updates)
    if deletes:
        count += conn.delete(step.table, step.key, deletes)
    conn.commit()
    return count


_commits = 0


def _maybe_crash() -> None:
    global _commits
    limit = os.environ.get(CRASH_ENV)
    if limit is None:
        return
    _commits += 1
    if _commits >= int(limit):
        os._exit(70)  # simulate a killed worker: no cleanup, no store commit


def execute_batch(
    plan: Plan,
    specs: Sequence[RequestSpec],
    *,
    pool: ConnectorPool,
    journal: Journal,
    key: bytes,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, RequestOutcome]:
    """Run a batch: collect once for all, then apply erasure/rectification per collection."""
    ids = [s.id for s in specs]
    outcomes = {s.id: RequestOutcome(s) for s in specs}
    planned = {} if dry_run else journal.planned(ids)
    to_collect = [s for s in specs if s.type in ACCESS_TYPES or s.id not in planned]
    found = collect(plan, to_collect, pool, progress=lambda st: progress and progress(st.name))
    new: list[Change] = []
    for spec in to_collect:
        if spec.type in ACCESS_TYPES:
            outcomes[spec.id].rows = found[spec.id]
        else:
            changes = plan_changes(plan, spec, found[spec.id], key)
            outcomes[spec.id].rows = found[spec.id]
            outcomes[spec.id].changes = changes
            new.extend(changes)
    for rid, changes in planned.items():
        outcomes[rid].changes = changes
    if dry_run:
        return outcomes
    if new:
        journal.record_planned(new)
    done = journal.done(ids)
    by_collection: dict[str, list[Change]] = defaultdict(list)
    for outcome in outcomes.values():
        for c in outcome.changes:
            if c.ident not in done:
                by_collection[c.collection].append(c)
    for step in plan.erase_order():
        pending = by_collection.get(step.name, [])
        if not pending:
            continue
        if apply_collection(pool, step, pending) or any(c.updates or c.deletes for c in pending):
            _maybe_crash()
        journal.mark_done(pending)
        if progress is not None:
            progress(step.name)
    return outcomes
