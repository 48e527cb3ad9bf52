"""Running approved requests: claim them, execute a batch, record steps, complete or fail.

The claim commits on its own (one transaction for the batch, with the map version to run
with); steps are recorded before any target is touched and marked done after each target
commit (``journal``), so a killed worker resumes where it stopped by replaying the recorded
steps. A run that fails (an error reported, every uncommitted target rolled back) drops the
pending steps it planned, so a retry is planned again from the data map then in force; a run
that already committed in one database and failed in another keeps them, and so do steps
replayed from a crashed run (their database may have committed before the crash): those
retries carry on with the recorded steps. The journal is what was done. Each request then
completes in one transaction (``finishing``). These functions take ids and an engine, so a
job queue can call them as they are."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.db import get_engine, unit_of_work
from ombud.errors import OmbudError
from ombud.execution import constraints, package, repository
from ombud.execution.claiming import Claim, carry_out_rights, claim, claim_in, fail, runnable_ids
from ombud.execution.finishing import Completed, complete_many
from ombud.execution.journal import (
    HEARTBEAT_EVERY,
    STALE_AFTER,
    RunReport,
    StoreJournal,
    _alive,
    _stale,
    worker_name,
)
from ombud.execution.planner import ACCESS_TYPES, ERASURE_TYPES, Plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from ombud.execution.service import masking_key
from ombud.phases import phase

log = logging.getLogger(__name__)

__all__ = [
    "HEARTBEAT_EVERY",
    "STALE_AFTER",
    "RunReport",
    "StoreJournal",
    "_alive",
    "_stale",
    "claim",
    "run_pending",
    "run_requests",
    "runnable_ids",
    "worker_name",
]


def run_requests(
    engine: Engine | None,
    request_ids: Sequence[str],
    *,
    settings: Settings,
    actor: str = "system:execution",
    datamap: DataMap | None = None,
    progress: Callable[[str], None] | None = None,
    at_once: bool = False,
) -> list[RunReport]:
    """Run one batch of requests end to end; a failure leaves them ``failed`` (retriable).

    ``at_once``: the batch's first attempt, named by its approval. On PostgreSQL a batch that
    only reads is then claimed, read and completed in one store transaction (``_at_once``)."""
    taken: Claim | None = None
    if at_once and _one_transaction_possible(engine):
        taken, reports = _at_once(engine, request_ids, settings, actor, datamap, progress)
        if reports is not None:
            return reports
    if taken is None:
        taken = claim(engine, request_ids, actor=actor, settings=settings, datamap=datamap)
    return _run_claimed(engine, taken, settings=settings, actor=actor, progress=progress)


def _one_transaction_possible(engine: Engine | None) -> bool:
    # Not on SQLite: its one writer would wait for the target reads of the whole batch.
    return (engine or get_engine()).dialect.name == "postgresql"


def _at_once(
    engine: Engine | None,
    request_ids: Sequence[str],
    settings: Settings,
    actor: str,
    datamap: DataMap | None,
    progress: Callable[[str], None] | None,
) -> tuple[Claim | None, list[RunReport] | None]:
    """Claim the batch; when it only reads (access requests on their first attempt), read
    and complete it in the claim's transaction: one commit, the rows locked once. Returns the
    committed claim of a batch that does more, or the reports of one done here, or neither
    when this failed (everything rolled back: the caller runs the batch the ordinary way,
    which reports the failure).

    Nothing is written to a target, so nothing needs recording before the commit. A crash
    leaves the requests approved; the next look for work (not named by an approval) runs them
    the ordinary way, which counts attempts and stops at the limit. A package written before
    the crash is then a stray file, deleted by retention (``downloads.purge_expired``)."""
    ids = list(request_ids)
    # The requests this attempt may write packages for: never one it skipped, whose package
    # another runner may be writing, or which is done.
    reading: list[str] = []
    try:
        # The commit is counted with the completion it ends. Nothing here reads back what it
        # wrote, so the writes wait for one flush at the end (``insert_steps``, the commit):
        # a request's row is then updated once, not for each status it passes through.
        with phase("completion", 0), unit_of_work(engine) as session, session.no_autoflush:
            with phase("claim", len(ids)):
                taken = claim_in(session, ids, actor=actor, settings=settings, datamap=datamap)
            if taken.planned is None or not _reads_only(taken):
                repository.commit_without_flushing(session)
                return taken, None
            reading = [s.id for s in taken.specs]
            done = _read_and_complete(session, taken, taken.planned, settings, actor, progress)
    except Exception as exc:  # run again the ordinary way, which reports what failed
        log.info("%d requests in one transaction failed (%s); running them again", len(ids), exc)
        # Fresh runs: any package of theirs is this attempt's (or a crashed one's), unsent.
        package.discard_many(settings, reading)
        return None, None
    return None, taken.skipped + done


def _reads_only(taken: Claim) -> bool:
    """True when every request claimed is an access on its first attempt, and the map read."""
    return (
        bool(taken.specs)
        and not taken.rights
        and taken.plan_error is None
        and all(s.type in ACCESS_TYPES and s.id in taken.fresh for s in taken.specs)
    )


def _read_and_complete(
    session: Session,
    taken: Claim,
    planned: tuple[DataMap, str, Plan],
    settings: Settings,
    actor: str,
    progress: Callable[[str], None] | None,
) -> list[RunReport]:
    """Read the targets for the claimed access requests and complete them in ``session``."""
    datamap, version, plan = planned
    specs = taken.specs
    with (
        ConnectorPool(datamap, settings.connections, reuse=True) as pool,
        phase("execution", len(specs)),
    ):
        outcomes = execute_batch(
            plan,
            specs,
            pool=pool,
            journal=MemoryJournal(),  # reads only: no step to resume from
            key=masking_key(settings),
            progress=progress,
            version=version,
        )
    done = complete_many(
        None,
        [outcomes[s.id] for s in specs],
        plan,
        datamap,
        settings=settings,
        actor=actor,
        map_key=taken.map_key,
        session=session,
    )
    return _finished(done)


def _finished(done: Completed) -> list[RunReport]:
    """The reports of the requests a completion completed or parked for manual tasks."""
    return [RunReport(rid, "completed") for rid in done.completed] + [
        RunReport(rid, "waiting", "waiting for manual tasks") for rid in done.waiting
    ]


def _run_claimed(
    engine: Engine | None,
    taken: Claim,
    *,
    settings: Settings,
    actor: str,
    progress: Callable[[str], None] | None,
) -> list[RunReport]:
    """Run a committed claim: execute, journal, complete; a failure leaves them ``failed``."""
    reports = carry_out_rights(engine, taken.rights, actor=actor) + taken.skipped
    specs = taken.specs
    if specs and taken.plan_error is not None:
        fail(engine, specs, taken.plan_error, actor)
        return reports + [RunReport(s.id, "failed", taken.plan_error) for s in specs]
    if not specs or taken.planned is None:
        return reports
    # A package written by an earlier attempt that died before recording it: never sent (a
    # run this claim created had no earlier attempt).
    package.discard_many(settings, [s.id for s in specs if s.id not in taken.fresh])
    journal = StoreJournal(engine, taken.runs, actor=actor, fresh=taken.fresh)
    datamap, version, plan = taken.planned
    try:
        with ConnectorPool(datamap, settings.connections, reuse=True) as pool:
            specs, refused = _refuse_unwritable(engine, plan, pool, specs, version, actor)
            reports += refused
            if not specs:
                return reports
            with phase("execution", len(specs)):
                outcomes = execute_batch(
                    plan,
                    specs,
                    pool=pool,
                    journal=journal,
                    key=masking_key(settings),
                    progress=progress,
                    version=version,
                )
    except OmbudError as exc:
        fail(engine, specs, exc.message, actor, planned=journal.recorded)
        return reports + [RunReport(s.id, "failed", exc.message) for s in specs]
    done = complete_many(
        engine,
        [outcomes[s.id] for s in specs],
        plan,
        datamap,
        settings=settings,
        actor=actor,
        map_key=taken.map_key,
    )
    reports += _finished(done)
    for rid, error in done.refused.items():
        # Its steps are done and journalled: a retry replays them and completes it.
        fail(engine, [s for s in specs if s.id == rid], error, actor)
        reports.append(RunReport(rid, "failed", error))
    return reports


def _refuse_unwritable(
    engine: Engine | None,
    plan: Plan,
    pool: ConnectorPool,
    specs: list[RequestSpec],
    version: str,
    actor: str,
) -> tuple[list[RequestSpec], list[RunReport]]:
    """Fail the erasures of the batch whose strategies a column cannot take (nothing is
    written); the other requests run on."""
    erasing = [s for s in specs if s.type in ERASURE_TYPES]
    if not erasing:
        return specs, []
    problems = constraints.unwritable(plan, pool, version=version)
    if not problems:
        return specs, []
    error = constraints.StrategyRefused(problems).message
    fail(engine, erasing, error, actor)
    rest = [s for s in specs if s.type not in ERASURE_TYPES]
    return rest, [RunReport(s.id, "failed", error) for s in erasing]


def run_pending(
    engine: Engine | None,
    *,
    settings: Settings,
    batch: int = 100,
    actor: str = "system:execution",
    datamap: DataMap | None = None,
    progress: Callable[[str], None] | None = None,
    on_batch: Callable[[list[str]], None] | None = None,
    first: Sequence[str] | None = None,
    at_once: bool = False,
) -> list[RunReport]:
    """Run every approved (or abandoned) request, ``batch`` at a time (``first``: the ids of
    the first batch when the caller just read them; ``at_once``: they were just approved, see
    ``run_requests``)."""
    reports: list[RunReport] = []
    tried: set[str] = set()
    while True:
        named = first is not None
        if first is not None:
            ids, first = list(first)[:batch], None
        else:
            found = runnable_ids(engine, limit=batch + len(tried))
            ids = [i for i in found if i not in tried][:batch]
        if not ids:
            return reports
        tried.update(ids)
        if on_batch is not None:
            on_batch(ids)
        reports.extend(
            run_requests(
                engine,
                ids,
                settings=settings,
                actor=actor,
                datamap=datamap,
                progress=progress,
                at_once=at_once and named,
            )
        )
        if len(ids) < batch:
            # A short batch held everything runnable when it was read: no second query to
            # find nothing. Requests approved meanwhile wake the runner again (after_commit).
            return reports
