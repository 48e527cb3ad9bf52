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

from collections.abc import Callable, Sequence

from sqlalchemy import Engine

from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.errors import OmbudError
from ombud.execution import constraints, package
from ombud.execution.claiming import carry_out_rights, claim, fail, runnable_ids
from ombud.execution.finishing import complete_many
from ombud.execution.journal import (
    HEARTBEAT_EVERY,
    STALE_AFTER,
    RunReport,
    StoreJournal,
    _alive,
    _stale,
    worker_name,
)
from ombud.execution.planner import ERASURE_TYPES, Plan
from ombud.execution.runner import ConnectorPool, RequestSpec, execute_batch
from ombud.execution.service import masking_key
from ombud.phases import phase

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
) -> list[RunReport]:
    """Run one batch of requests end to end; a failure leaves them ``failed`` (retriable)."""
    taken = claim(engine, request_ids, actor=actor, settings=settings, datamap=datamap)
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
    reports += [RunReport(rid, "completed") for rid in done.completed]
    reports += [RunReport(rid, "waiting", "waiting for manual tasks") for rid in done.waiting]
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
) -> list[RunReport]:
    """Run every approved (or abandoned) request, ``batch`` at a time (``first``: the ids of
    the first batch when the caller just read them)."""
    reports: list[RunReport] = []
    tried: set[str] = set()
    while True:
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
                engine, ids, settings=settings, actor=actor, datamap=datamap, progress=progress
            )
        )
        if len(ids) < batch:
            # A short batch held everything runnable when it was read: no second query to
            # find nothing. Requests approved meanwhile wake the runner again (after_commit).
            return reports
