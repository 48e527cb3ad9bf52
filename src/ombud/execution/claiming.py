"""Claiming a batch: one transaction moves the runnable requests to ``in_progress``, takes
their runs and reads the data map version to run with; failing a batch; finding work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.dsr import carry_out, rights
from ombud.dsr import repository as dsr_repository
from ombud.dsr import service as dsr_service
from ombud.errors import OmbudError
from ombud.execution import repository
from ombud.execution.completion import TASKS_DONE, WAITING
from ombud.execution.journal import RunReport, _stale, worker_name
from ombud.execution.planner import Plan, build_plan
from ombud.execution.runner import RequestSpec
from ombud.execution.service import plan_of_version, spec_for
from ombud.manual import service as manual_service
from ombud.models.base import new_id
from ombud.models.execution import ExecutionRun
from ombud.phases import phase

# How a claim's report begins for a run past the retry limit (``past_limit``).
PAST_LIMIT = "stopped after"


def past_limit(report: RunReport) -> bool:
    """True when the claim left the request because its run is past the retry limit."""
    return report.status == "skipped" and report.message.startswith(PAST_LIMIT)


@dataclass
class Claim:
    """What a claim took: the specs to run, their runs, and what it left alone."""

    specs: list[RequestSpec] = field(default_factory=list)
    runs: dict[str, str] = field(default_factory=dict)  # request id -> run id
    fresh: set[str] = field(default_factory=set)  # requests whose run this claim created
    skipped: list[RunReport] = field(default_factory=list)
    rights: list[str] = field(default_factory=list)  # carried out without a database run
    planned: tuple[DataMap, str, Plan] | None = None
    plan_error: str | None = None  # why no map could be read (the claimed requests then fail)
    map_key: tuple[str, str] | None = None  # the applied version run with (id, content hash)


def claim(
    engine: Engine | None,
    request_ids: Sequence[str],
    *,
    actor: str,
    settings: Settings | None = None,
    datamap: DataMap | None = None,
) -> Claim:
    """Move runnable requests to in_progress and take their runs, and (given ``settings``)
    read the map to run with, all in one transaction; report the others."""
    with phase("claim", len(request_ids)), unit_of_work(engine) as session:
        taken = claim_in(session, request_ids, actor=actor, settings=settings, datamap=datamap)
        repository.commit_without_flushing(session)
    return taken


def claim_in(
    session: Session,
    request_ids: Sequence[str],
    *,
    actor: str,
    settings: Settings | None = None,
    datamap: DataMap | None = None,
) -> Claim:
    """``claim`` in the caller's transaction, which commits it (or goes on in it)."""
    out = Claim()
    # Locked together first (requests, then runs, as the task page does), then each claim
    # finds its rows already locked. Requests another runner is claiming right now are left
    # to it: waiting for its lock would only find them taken.
    held = dsr_repository.lock_many(session, request_ids, skip_locked=True)
    taken = [rid for rid in dict.fromkeys(request_ids) if rid in held]
    left = [rid for rid in dict.fromkeys(request_ids) if rid not in held]
    there = dsr_repository.existing(session, left) if left else set()
    for rid in left:
        why = "being claimed by another runner" if rid in there else "no such request"
        out.skipped.append(RunReport(rid, "skipped", why))
    repository.lock_runs(session, taken)
    limit = settings.execution_max_attempts if settings is not None else None
    for rid in taken:
        _claim_one(session, rid, actor, out, limit)
    if out.specs and settings is not None:
        try:
            out.planned = _plan(session, settings, datamap)
            if datamap is None:
                out.map_key = datamap_service.version_key(session)
        except OmbudError as exc:
            # No map in force (or one that cannot be read): the claims stand and the
            # requests fail with the reason, as a failure during the run would.
            out.plan_error = exc.message
    return out


def _claim_one(session: Session, rid: str, actor: str, out: Claim, limit: int | None) -> None:
    request = dsr_service.get(session, rid, lock=True)
    if rights.of(request.type).handler != rights.EXECUTION:
        out.rights.append(rid)
        return
    run = repository.get_run(session, rid, lock=True)
    if request.status == "in_progress" and run is not None and run.phase == WAITING:
        waiting = manual_service.open_count(session, rid)
        out.skipped.append(RunReport(rid, "skipped", f"waiting for {waiting} manual tasks"))
        return
    if request.status == "in_progress" and run is not None and not _stale(run):
        out.skipped.append(RunReport(rid, "skipped", f"being run by {run.worker}"))
        return
    if request.status == "in_progress" and run is not None and _past(run, limit):
        # Its worker died every time: ``give_up`` fails it with the reason, never a claim.
        out.skipped.append(RunReport(rid, "skipped", f"{PAST_LIMIT} {run.attempts} attempts"))
        return
    if request.status not in ("approved", "failed", "in_progress"):
        out.skipped.append(RunReport(rid, "skipped", f"request is {request.status}"))
        return
    try:
        spec = spec_for(request)
    except OmbudError as exc:
        out.skipped.append(RunReport(rid, "skipped", exc.message))
        return
    if request.status != "in_progress":
        dsr_service.start_execution(session, rid, actor=actor)
    if run is None:
        # Inserted as claimed: one statement, not an insert and then an update. Its id is
        # set here, not by a flush: the batch's runs are then written together at the end.
        run = ExecutionRun(
            id=new_id(), request_id=rid, phase="collecting", attempts=1, worker=worker_name(),
            heartbeat_at=utcnow(), error=None,
        )  # fmt: skip
        repository.add_run(session, run)
        out.fresh.add(rid)
    else:
        run.attempts += 1
        run.worker, run.heartbeat_at, run.error = worker_name(), utcnow(), None
    if run.phase in ("failed", "completed", TASKS_DONE):
        run.phase = "collecting"
    out.specs.append(spec)
    out.runs[rid] = run.id


def _past(run: ExecutionRun, limit: int | None) -> bool:
    return limit is not None and run.attempts >= limit


def _plan(
    session: Session, settings: Settings, datamap: DataMap | None
) -> tuple[DataMap, str, Plan]:
    """The data map to run with, its content hash and its plan (cached per applied version)."""
    if datamap is None:
        current = datamap_service.current_version(session)
        if current is not None:
            version, datamap = current
            return datamap, version, plan_of_version(datamap, connections=settings.connections)
        datamap = datamap_service.get_current(session)
    plan = build_plan(datamap, connections=settings.connections)
    return datamap, datamap_service.content_hash(datamap_service.normalise(datamap)), plan


def carry_out_rights(
    engine: Engine | None, request_ids: Sequence[str], *, actor: str
) -> list[RunReport]:
    """Carry out the requests no database run is needed for (``ombud.dsr.rights``), each in
    its own transaction: approved or failed ones are completed here."""
    reports: list[RunReport] = []
    for rid in request_ids:
        with unit_of_work(engine) as session:
            request = dsr_service.get(session, rid, lock=True)
            if request.status not in ("approved", "failed"):
                reports.append(RunReport(rid, "skipped", f"request is {request.status}"))
                continue
            done = carry_out.run(session, request, actor=actor)
            reports.append(RunReport(rid, done.status))
    return reports


def fail(
    engine: Engine | None,
    specs: Sequence[RequestSpec],
    error: str,
    actor: str,
    *,
    planned: set[str] | None = None,
) -> None:
    """Leave the requests ``failed``; drop the pending steps this run ``planned`` (its target
    transactions were rolled back). Steps replayed from a crashed run stay: their database may
    have committed before the crash."""
    with unit_of_work(engine) as session:
        repository.discard_pending(session, [s.id for s in specs if s.id in (planned or ())])
        for spec in specs:
            run = repository.get_run(session, spec.id, lock=True)
            if run is not None:
                run.phase, run.error, run.worker = "failed", error[:2000], None
            dsr_service.fail_execution(session, spec.id, actor=actor, error=error)


def runnable_ids(engine: Engine | None, *, limit: int) -> list[str]:
    """Approved requests, then in-progress ones whose worker is gone."""
    with unit_of_work(engine) as session:
        ids = dsr_repository.ids_by_status(session, "approved", limit=limit)
        if len(ids) >= limit:
            return ids
        for run in repository.in_progress_runs(session):
            if len(ids) >= limit:
                return ids
            if run.phase != WAITING and _stale(run) and run.request_id not in ids:
                ids.append(run.request_id)
        # in_progress requests that crashed before their run row was committed
        started = dsr_repository.ids_by_status(session, "in_progress", limit=limit)
        have = repository.runs_by_request(session, started) if started else {}
        for rid in started:
            if len(ids) < limit and rid not in ids and rid not in have:
                ids.append(rid)
    return ids
