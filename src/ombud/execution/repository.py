"""All SQL of execution: runs and steps in Ombud's store."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, text, tuple_, update
from sqlalchemy.orm import Session

from ombud.bulk import insert_rows
from ombud.dsr import repository as dsr_repository
from ombud.models.execution import ExecutionRun, ExecutionStep, PackageUnlockAttempt
from ombud.models.requests import PrivacyRequest


def get_run(session: Session, request_id: str, *, lock: bool = False) -> ExecutionRun | None:
    """The run of a request, or None."""
    if lock:
        held = dsr_repository.held_lock(session, ExecutionRun, request_id)
        if isinstance(held, ExecutionRun):
            # Locked earlier in this transaction: it cannot have moved since.
            return held
        if held is dsr_repository.ABSENT:
            return None
    stmt = select(ExecutionRun).where(ExecutionRun.request_id == request_id)
    if lock:
        stmt = stmt.with_for_update()
    found = session.scalars(stmt).first()
    if lock and found is not None:
        dsr_repository.note_lock(session, request_id, found)
    return found


def lock_runs(session: Session, request_ids: Sequence[str]) -> dict[str, ExecutionRun]:
    """Lock the runs of these requests in one statement (request id order); by request id."""
    if not request_ids:
        return {}
    held = [dsr_repository.held_lock(session, ExecutionRun, rid) for rid in request_ids]
    runs = [run for run in held if isinstance(run, ExecutionRun)]
    if len(runs) == len(held):
        # All held by this transaction already (a claim going on to complete its batch).
        return {run.request_id: run for run in runs}
    stmt = (
        select(ExecutionRun)
        .where(ExecutionRun.request_id.in_(sorted(set(request_ids))))
        .order_by(ExecutionRun.request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = {r.request_id: r for r in session.scalars(stmt)}
    for rid in request_ids:
        run = found.get(rid)
        if run is not None:
            dsr_repository.note_lock(session, rid, run)
        else:
            # None yet, and none can appear while the caller holds the request's lock (runs
            # are created under it): its claim need not look again.
            dsr_repository.note_absent(session, ExecutionRun, rid)
    return found


def commit_without_flushing(session: Session) -> None:
    """On PostgreSQL, let this transaction's commit return before it reaches the disk.

    For a claim only: PostgreSQL's own crash can then lose it (never Ombud's: the server still
    has it), and a lost claim leaves its requests approved, to be claimed again, as a crash just
    before the claim would. Every later ordinary commit writes it to disk first, and a batch
    makes one (its journal, its completion) before anything leaves Ombud."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def notify(session: Session, channel: str, payload: str) -> None:
    """Queue a PostgreSQL notification on ``channel``; listeners get it when this commits."""
    session.execute(
        text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
    )


def add_run(session: Session, run: ExecutionRun) -> None:
    """Add a run, written with the transaction's next flush (held by this transaction from
    now on, like a locked one; the request's lock keeps other claims away until then)."""
    session.add(run)
    dsr_repository.note_lock(session, run.request_id, run)


def runs_by_request(session: Session, request_ids: Sequence[str]) -> dict[str, ExecutionRun]:
    """Runs of these requests, by request id."""
    stmt = select(ExecutionRun).where(ExecutionRun.request_id.in_(list(request_ids)))
    return {r.request_id: r for r in session.scalars(stmt)}


def in_progress_runs(session: Session) -> list[ExecutionRun]:
    """Runs whose request is in progress (candidates for resuming)."""
    stmt = (
        select(ExecutionRun)
        .join(PrivacyRequest, PrivacyRequest.id == ExecutionRun.request_id)
        .where(PrivacyRequest.status == "in_progress")
        .order_by(ExecutionRun.created_at)
    )
    return list(session.scalars(stmt))


def steps(session: Session, request_ids: Sequence[str]) -> list[ExecutionStep]:
    """Steps of these requests in their order."""
    stmt = (
        select(ExecutionStep)
        .where(ExecutionStep.request_id.in_(list(request_ids)))
        .order_by(ExecutionStep.request_id, ExecutionStep.position)
    )
    return list(session.scalars(stmt))


def insert_steps(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert steps (``rows`` are column dicts)."""
    if rows:
        session.flush()  # their runs first, when the caller holds back autoflush
        # Into the table, not the ORM entity: a fifth less CPU per row, and an access batch
        # writes a row per collection and request.
        insert_rows(session, cast(Table, ExecutionStep.__table__), rows)


def done_steps(session: Session, request_ids: Sequence[str]) -> set[tuple[str, str, str]]:
    """(request id, collection, action) of the steps of these requests that are done."""
    stmt = select(ExecutionStep.request_id, ExecutionStep.collection, ExecutionStep.action).where(
        ExecutionStep.request_id.in_(list(request_ids)), ExecutionStep.status == "done"
    )
    return {(r, c, a) for r, c, a in session.execute(stmt)}


def discard_pending(session: Session, request_ids: Sequence[str]) -> list[str]:
    """Delete the pending steps of those requests none of whose steps is done (a failed batch
    rolled all its changes back: what was planned is no longer true); return their ids."""
    ids = list(request_ids)
    if not ids:
        return []
    started = set(
        session.scalars(
            select(ExecutionStep.request_id).where(
                ExecutionStep.request_id.in_(ids), ExecutionStep.status == "done"
            )
        )
    )
    clean = [r for r in ids if r not in started]
    if clean:
        session.execute(
            delete(ExecutionStep).where(
                ExecutionStep.request_id.in_(clean), ExecutionStep.status == "pending"
            )
        )
    return clean


def mark_done(session: Session, idents: Sequence[tuple[str, str, str]], *, at: datetime) -> None:
    """Mark steps done and drop the values they carried: one statement per set of requests
    (usually one for the whole batch), however many requests, collections and actions."""
    by_step: dict[tuple[str, str], list[str]] = {}
    for request_id, collection, action in idents:
        by_step.setdefault((collection, action), []).append(request_id)
    # Steps done by exactly the same requests share a statement: every request of the group
    # has a step in every (collection, action) of the group, so the IN x IN matches only them.
    # One request's erasure deletes in one table and masks in another: one statement, not two.
    groups: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for step, ids in by_step.items():
        groups.setdefault(tuple(sorted(set(ids))), []).append(step)
    for request_ids, steps in groups.items():
        for start in range(0, len(request_ids), 1000):
            session.execute(
                update(ExecutionStep)
                .where(
                    tuple_(ExecutionStep.collection, ExecutionStep.action).in_(steps),
                    ExecutionStep.request_id.in_(request_ids[start : start + 1000]),
                )
                .values(status="done", done_at=at, payload={})
            )


def set_phase(session: Session, request_ids: Sequence[str], phase: str, **values: Any) -> None:
    """Move runs to ``phase`` (and set other columns)."""
    session.execute(
        update(ExecutionRun)
        .where(ExecutionRun.request_id.in_(list(request_ids)))
        .values(phase=phase, **values)
    )


def add_unlock_attempt(session: Session, export_id: str, *, at: datetime, ok: bool) -> None:
    """Record one try at opening a passphrase-protected package."""
    session.add(PackageUnlockAttempt(export_id=export_id, at=at, succeeded=ok))
    session.flush()


def wrong_unlocks_since(session: Session, export_id: str, since: datetime) -> list[datetime]:
    """Times of wrong passphrases typed for a package since ``since``, oldest first."""
    stmt = (
        select(PackageUnlockAttempt.at)
        .where(
            PackageUnlockAttempt.export_id == export_id,
            PackageUnlockAttempt.at > since,
            PackageUnlockAttempt.succeeded.is_(False),
        )
        .order_by(PackageUnlockAttempt.at)
    )
    return list(session.scalars(stmt))
