"""Retention use cases: plan (a dry run) and run (resumable, in batches); status: ``overview``."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.datamap.schemas import DataMap
from ombud.errors import Conflict, NotFound
from ombud.execution.runner import ConnectorPool
from ombud.models.retention import RetentionRun
from ombud.retention import own as own_data
from ombud.retention import repository
from ombud.retention.planner import Step, build_steps
from ombud.retention.slices import Slicer, slicer
from ombud.retention.targets import Counts, Query

LOCK_SECONDS = 15 * 60
# The most rows one statement changes (about: a slice is sized before its rows are known).
DEFAULT_BATCH = 50_000
# A slice is one statement and one transaction on the company's database; its size adapts so
# the statement takes about this long: short enough that the application's queries never wait
# long for a row it locks, long enough that round trips and commits cost little.
SLICE_SECONDS = 0.075
# Keys in the first slice's range: small, the time it takes sizes the next ones.
FIRST_WINDOW = 5_000
# Keys in a slice's range at most (the range is read from the key index before the statement).
MAX_WINDOW = 1_000_000
# Progress is written to the store at most this often (and at the end of each collection): a
# crash loses only the counts of the last second, never correctness (done rows are not
# selected again).
SAVE_EVERY_SECONDS = 1.0


@dataclass
class StepPlan:
    """One collection of one rule, as it stands now."""

    step: Step
    counts: Counts | None
    error: str | None = None

    def as_dict(self, now: datetime) -> dict[str, Any]:
        """Plain data for JSON and tables."""
        s, c = self.step, self.counts
        oldest = c.oldest if c is not None else None
        age = (now.replace(tzinfo=None) - oldest).days if oldest is not None else None
        return {
            "rule": s.rule,
            "rule_name": s.rule_name,
            "collection": s.collection,
            "action": s.action,
            "period": str(s.period) if s.period else None,
            "counts_from": s.counts_from(),
            "rows": c.rows if c else None,
            "past_period": c.past if c else None,
            "no_timestamp": c.no_timestamp if c else None,
            "held": dict(c.held) if c else {},
            "held_by": s.held_by.rule if s.held_by else None,
            "still_referenced": c.referenced if c else None,
            "to_change": (c.to_change if c and s.runnable else 0) if c else None,
            "oldest_age_days": age,
            "masks": [m.describe() for m in s.masks],
            "problem": s.problem or self.error,
        }


def plan(
    datamap: DataMap,
    *,
    rule: str | None = None,
    connections: dict[str, str] | None = None,
    now: datetime | None = None,
) -> list[StepPlan]:
    """What each rule would do now, per collection; changes nothing."""
    steps = _steps(datamap, rule)
    now = now or utcnow()
    out: list[StepPlan] = []
    with ConnectorPool(datamap, connections) as pool:
        for step in steps:
            if step.problem is not None or step.period is None:
                out.append(StepPlan(step, None))
                continue
            conn = pool.get(step.connection)
            try:
                out.append(StepPlan(step, Query(conn, step, now).counts()))
            finally:
                conn.rollback()
    return out


def _steps(datamap: DataMap, rule: str | None) -> list[Step]:
    if rule is not None and all(r.fides_key != rule for r in datamap.retention):
        known = ", ".join(r.fides_key for r in datamap.retention) or "none"
        raise NotFound(f"no retention rule '{rule}' in the data map (rules: {known})")
    return build_steps(datamap, rule_key=rule)


def holder() -> str:
    """This runner: host, process and thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass
class RuleOutcome:
    """What one rule's run did."""

    rule: str
    status: str  # completed, skipped (another runner has it), failed
    run_id: str | None = None
    changed: dict[str, int] = field(default_factory=dict)
    error: str = ""


# Progress callback: (collection, rows changed so far in this step, rows to change in it).
Progress = Callable[[str, int, int], None]


def run(
    open_session: Callable[[], Any],
    datamap: DataMap,
    *,
    rule: str | None = None,
    batch: int = DEFAULT_BATCH,
    trigger: str = "cli",
    actor: str = "cli",
    connections: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> list[RuleOutcome]:
    """Apply every rule (or one) in batches; each batch commits on the target and then its
    progress in the store, so a crash resumes where it stopped and changes nothing twice.

    ``open_session`` opens a unit of work on the store (one per batch; jobs own their sessions).
    """
    if batch < 1:
        raise Conflict(f"batch must be at least 1, not {batch}")
    me = holder()
    if own_data.is_own(rule):
        return _own_rules(open_session, me, rule, trigger, actor)
    steps = _steps(datamap, rule)
    outcomes: list[RuleOutcome] = []
    # Steps come children first across all rules; a rule runs once all steps before its last
    # one could have run, so rows referring to its collections are gone first.
    last = {s.rule: i for i, s in enumerate(steps)}
    rules = sorted(last, key=last.__getitem__)
    if rule is None:
        outcomes.extend(_own_rules(open_session, me, None, trigger, actor))
    with ConnectorPool(datamap, connections) as pool:
        for key in rules:
            outcomes.append(
                _run_rule(
                    open_session,
                    pool,
                    key,
                    [s for s in steps if s.rule == key],
                    me,
                    batch=batch,
                    trigger=trigger,
                    actor=actor,
                    progress=progress,
                )
            )
    return outcomes


def _extend(session: Session, rule: str, me: str) -> bool:
    """Take (or keep) the rule's lock for another ``LOCK_SECONDS``."""
    now = utcnow()
    until = now + timedelta(seconds=LOCK_SECONDS)
    return repository.acquire(session, f"rule:{rule}", me, now=now, until=until)


OWN_RULE = "ombud.requests"


def _own_rules(
    open_session: Callable[[], Any], me: str, rule: str | None, trigger: str, actor: str
) -> list[RuleOutcome]:
    """Ombud's own data (``retention/own.py``): requests, packages, consent, codes, mail."""
    return [
        RuleOutcome(o.rule, o.status, o.run_id, dict(o.changed or {}), o.error)
        for o in own_data.run(open_session, me, rule=rule, trigger=trigger, actor=actor)
    ]


def _start(session: Session, rule: str, me: str, trigger: str) -> RetentionRun | None:
    now = utcnow()
    if not _extend(session, rule, me):
        return None
    run = repository.unfinished(session, rule)
    if run is None:
        run = repository.add(
            session,
            RetentionRun(
                rule=rule,
                status="running",
                trigger=trigger,
                started_at=now,
                as_of=now,
                steps={},
                error="",
            ),
        )
    return run


def _run_rule(
    open_session: Callable[[], Any],
    pool: ConnectorPool,
    rule: str,
    steps: list[Step],
    me: str,
    *,
    batch: int,
    trigger: str,
    actor: str,
    progress: Progress | None,
) -> RuleOutcome:
    with open_session() as session:
        run = _start(session, rule, me, trigger)
        if run is None:
            return RuleOutcome(rule, "skipped", error="another runner is applying this rule")
        run_id, as_of, journal = run.id, run.as_of, dict(run.steps or {})
    outcome = RuleOutcome(rule, "completed", run_id)
    # Steps finished in this run. A step that changed rows stored its entry (done) with its
    # last slice; the others are journaled with the run's end (a crash before it only makes
    # the next run look at them again, which changes nothing).
    finished: dict[str, dict[str, Any]] = {}
    try:
        for step in steps:
            entry = dict(journal.get(step.collection) or {})
            entry.setdefault("action", step.action if step.runnable else "none")
            entry.setdefault("changed", 0)
            if step.runnable and not entry.get("done"):
                _apply(open_session, pool, step, run_id, as_of, entry, batch, me, progress)
            entry["done"] = True
            outcome.changed[step.collection] = int(entry["changed"])
            finished[step.collection] = entry
    except Exception as exc:
        outcome.status, outcome.error = "failed", str(exc)
    with open_session() as session:
        stored = repository.get(session, run_id)
        assert stored is not None
        stored.steps = {**(stored.steps or {}), **finished}
        stored.status = outcome.status
        stored.error = outcome.error
        stored.finished_at = utcnow()
        repository.release(session, f"rule:{rule}", me)
        # Counts only: the audit log never holds row contents.
        audit.record(
            session,
            action=f"retention.{outcome.status}",
            actor=actor,
            subject_type="retention_rule",
            subject_id=rule,
            data={"run": run_id, "changed": outcome.changed, "error": outcome.error[:500]},
        )
    return outcome


def _apply(
    open_session: Callable[[], Any],
    pool: ConnectorPool,
    step: Step,
    run_id: str,
    as_of: datetime,
    entry: dict[str, Any],
    batch: int,
    me: str,
    progress: Progress | None,
) -> None:
    """Change the step's expired rows slice by slice, from the last key done."""
    assert step.key is not None
    conn = pool.get(step.connection)
    walk = slicer(conn, step, as_of)
    total = entry.get("changed", 0) + (walk.query.counts().to_change if progress else 0)
    if entry.get("walks", walk.walks) != walk.walks:
        # An index came or went since the run stopped: its position is a key of another
        # table. Starting over is safe (changed rows are not selected again), only slower.
        entry.pop("last_key", None)
    entry["walks"] = walk.walks
    walk.open(entry.get("last_key"))
    conn.commit()
    _slices(open_session, walk, run_id, entry, batch, me, progress, total)
    # Not after a failure: the connection may be gone, and the pool closes it (with the
    # cursor) at the end of the run either way.
    walk.close()
    conn.commit()


def _slices(
    open_session: Callable[[], Any],
    walk: Slicer,
    run_id: str,
    entry: dict[str, Any],
    batch: int,
    me: str,
    progress: Progress | None,
    total: int,
) -> None:
    step, conn = walk.step, walk.conn
    saved = time.monotonic()
    window = min(batch, FIRST_WINDOW)
    while True:
        started = time.monotonic()
        upper, changed = walk.next_slice(entry.get("last_key"), window)
        done = upper is None
        save = done or started - saved >= SAVE_EVERY_SECONDS
        if save:
            walk.durable()
        conn.commit()
        elapsed = time.monotonic() - started
        entry["changed"] = int(entry.get("changed", 0)) + changed
        if upper is not None:
            entry["last_key"] = upper
        window = _next_window(window, elapsed, changed, batch)
        entry["done"] = done
        if save:
            with open_session() as session:
                stored = repository.get(session, run_id)
                assert stored is not None
                stored.steps = {**(stored.steps or {}), step.collection: dict(entry)}
                _extend(session, step.rule, me)
            saved = time.monotonic()
        if progress is not None:
            progress(step.collection, int(entry["changed"]), int(total))
        if done:
            break


def _next_window(window: int, elapsed: float, changed: int, batch: int) -> int:
    """The next slice's size: scaled towards ``SLICE_SECONDS`` (at most 4x larger or 2x
    smaller at a time, so one slow statement on a busy server does not shrink it to nothing),
    and to about ``batch`` changed rows."""
    by_time = window * min(4.0, max(0.5, SLICE_SECONDS / max(elapsed, 1e-6)))
    by_rows = window * batch / changed if changed else by_time
    return max(1, min(int(by_time), int(by_rows), MAX_WINDOW))
