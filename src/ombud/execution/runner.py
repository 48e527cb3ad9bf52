"""Batch execution: one query per collection per batch for N requests (``reading.py``), then
the changes. Within one database a batch's changes are one transaction: committed together once
that database's last collection is written, then journalled as done; a failure rolls back every
database not yet committed. Erasure strategies a column cannot take are refused first.

``execute_batch`` needs no store: a ``Journal`` records planned and done steps (the store's
journal lives in ``tasks.py``; ``MemoryJournal`` serves benchmarks and previews)."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from ombud.connectors.base import Rewrite
from ombud.execution.changes import Change, Eraser, Row
from ombud.execution.constraints import refuse_unwritable
from ombud.execution.planner import (
    ACCESS_TYPES,
    ERASURE_TYPES,
    RECTIFICATION_TYPES,
    CollectionPlan,
    Plan,
)
from ombud.execution.reading import ConnectorPool as ConnectorPool
from ombud.execution.reading import Found, collect
from ombud.execution.reading import RequestSpec as RequestSpec
from ombud.execution.rectification import plan_rectification

# Fault injection for the crash tests: exit hard after this many target commits, or stop
# there until killed (the SIGKILL test then kills a batch known to be half done).
CRASH_ENV = "OMBUD_TEST_CRASH_AFTER_COMMITS"
STALL_ENV = "OMBUD_TEST_STALL_AFTER_COMMITS"


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
        wanted = set(request_ids)
        return {d for d in self._done if d[0] in wanted}

    def mark_done(self, changes: Sequence[Change]) -> None:
        """Remember them."""
        self._done.update(c.ident for c in changes)


def plan_changes(
    plan: Plan, specs: Sequence[RequestSpec], found: Found, key: bytes
) -> dict[str, list[Change]]:
    """Every change erasure or rectification makes, per request, in erasure order."""
    out: dict[str, list[Change]] = {s.id: [] for s in specs}
    erasing = [s.id for s in specs if s.type in ERASURE_TYPES]
    rectifying = [s for s in specs if s.type in RECTIFICATION_TYPES]
    for step in plan.erase_order():
        name, columns = step.name, found.columns[step.name]
        if erasing:
            eraser = Eraser(step, columns, key)
            if name in found.refs:
                field, values, counts = found.refs[name]
                for rid in erasing:
                    change = eraser.by_reference(
                        rid, field, values.get(rid, []), counts.get(rid, 0)
                    )
                    out[rid].append(change)
            else:
                for rid in erasing:
                    out[rid].append(eraser.change(rid, found.of(rid, name)))
    for spec in rectifying:
        out[spec.id].extend(plan_rectification(plan, spec, found))
    return out


def _signature(rw: Rewrite) -> Hashable:
    signature = (tuple(rw.assign.items()), tuple(rw.columns), rw.keep_null)
    try:
        hash(signature)
    except TypeError:  # a rectification may set a list or a mapping (a JSON column)
        return (repr(sorted(rw.assign.items())), tuple(rw.columns), rw.keep_null)
    return signature


def apply_collection(
    pool: ConnectorPool, step: CollectionPlan, changes: Iterable[Change], *, commit: bool = True
) -> int:
    """Unit of work: apply a batch's changes to one collection (and commit, unless the caller
    commits several collections of one database together).

    Rewrites with the same assignments are merged, so a batch issues one statement per kind of
    rewrite (usually one); a row two requests share is written once (the later one wins)."""
    by_key: dict[str, list[Change]] = defaultdict(list)
    for c in changes:
        if c.rewrites or c.deletes:
            by_key[c.key].append(c)
    if not by_key:
        return 0
    conn = pool.get(step.connection)
    count = 0
    for key, group in by_key.items():
        merged: dict[Hashable, list[Rewrite]] = defaultdict(list)
        deletes: list[Any] = []
        for c in group:
            for rw in c.rewrites:
                merged[_signature(rw)].append(rw)
            deletes += c.deletes
        for rewrites in merged.values():
            count += conn.update(step.table, key, _merge(rewrites))
        if deletes:
            count += conn.delete(step.table, key, list(dict.fromkeys(deletes)))
    if commit:
        conn.commit()
    return count


def _merge(rewrites: list[Rewrite]) -> Rewrite:
    """One rewrite of several with the same assignments; a key given twice keeps its last
    values."""
    first = rewrites[0]
    if len(rewrites) == 1:
        return first
    keys = [k for rw in rewrites for k in rw.keys]
    values = [v for rw in rewrites for v in rw.values]
    if len(set(keys)) != len(keys):
        if first.columns:
            last = dict(zip(keys, values, strict=True))
            keys, values = list(last), list(last.values())
        else:
            keys = list(dict.fromkeys(keys))
    return Rewrite(keys, first.assign, first.columns, values, first.keep_null)


_commits = 0
_gc_lock = threading.Lock()
_gc_batches = 0
_gc_was_enabled = False


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch runs.

    A batch keeps tens of thousands of rows alive until it ends; allocating them triggers full
    collections that scan every object of the process, which measured a third of the time of
    1,000 erasures. Rows, changes and statements hold no reference cycles, so reference counting
    still frees them as before. The collector resumes when the last running batch ends (and
    stays off if something else had turned it off)."""
    global _gc_batches, _gc_was_enabled
    with _gc_lock:
        if _gc_batches == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_batches += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_batches -= 1
            if _gc_batches == 0 and _gc_was_enabled:
                gc.enable()


def _maybe_crash() -> None:
    global _commits
    crash, stall = os.environ.get(CRASH_ENV), os.environ.get(STALL_ENV)
    if crash is None and stall is None:
        return
    _commits += 1
    if crash is not None and _commits >= int(crash):
        os._exit(70)  # simulate a killed worker: no cleanup, no store commit
    while stall is not None and _commits >= int(stall):
        time.sleep(1)  # the test kills the process here


def execute_batch(
    plan: Plan,
    specs: Sequence[RequestSpec],
    *,
    pool: ConnectorPool,
    journal: Journal,
    key: bytes,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    version: str | None = None,
) -> dict[str, RequestOutcome]:
    """Run a batch: collect once for all, then apply erasure/rectification per collection.

    A batch with erasures is refused (``StrategyRefused``) before anything is read or written
    when a strategy cannot be written to its column; ``version`` keys the cached columns."""
    if not dry_run and any(s.type in ERASURE_TYPES for s in specs):
        refuse_unwritable(plan, pool, version=version)
    with cycle_collection_paused():
        return _execute(plan, specs, pool, journal, key, dry_run, progress)


def _execute(
    plan: Plan,
    specs: Sequence[RequestSpec],
    pool: ConnectorPool,
    journal: Journal,
    key: bytes,
    dry_run: bool,
    progress: Callable[[str], None] | None,
) -> dict[str, RequestOutcome]:
    ids = [s.id for s in specs]
    outcomes = {s.id: RequestOutcome(s) for s in specs}
    planned = {} if dry_run else journal.planned(ids)
    to_collect = [s for s in specs if s.type in ACCESS_TYPES or s.id not in planned]
    found = collect(
        plan,
        to_collect,
        pool,
        progress=lambda st: progress and progress(st.name),
        by_reference=not dry_run,
    )
    changing = [s for s in to_collect if s.type not in ACCESS_TYPES]
    computed = plan_changes(plan, changing, found, key)
    new: list[Change] = []
    for spec in to_collect:
        if spec.type in ACCESS_TYPES:
            outcomes[spec.id].rows = found.dicts(spec.id)
        else:
            outcomes[spec.id].changes = computed[spec.id]
            new.extend(computed[spec.id])
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
            if not done or c.ident not in done:
                by_collection[c.collection].append(c)
    _apply(plan, pool, journal, by_collection, progress)
    return outcomes


def _apply(
    plan: Plan,
    pool: ConnectorPool,
    journal: Journal,
    by_collection: dict[str, list[Change]],
    progress: Callable[[str], None] | None,
) -> None:
    """Apply in erase order; each database commits once, after its last collection, and its
    steps are journalled as done after that commit. Committing a database when its own work
    ends (not all at the end) keeps the erase order across databases: rows that refer to
    others are gone before what they refer to."""
    order = [s for s in plan.erase_order() if by_collection.get(s.name)]
    last = {s.connection: i for i, s in enumerate(order)}
    waiting: dict[str, list[Change]] = defaultdict(list)
    try:
        for i, step in enumerate(order):
            pending = by_collection[step.name]
            apply_collection(pool, step, pending, commit=False)
            waiting[step.connection].extend(pending)
            if last[step.connection] == i:
                pool.get(step.connection).commit()
                if any(c.rewrites or c.deletes for c in waiting[step.connection]):
                    _maybe_crash()
                journal.mark_done(waiting.pop(step.connection))
            if progress is not None:
                progress(step.name)
    except BaseException:
        for name in waiting:
            pool.get(name).rollback()
        raise
