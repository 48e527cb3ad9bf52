"""Running approved requests: claim them, execute a batch, record steps, complete or fail.

Each stage commits on its own (``unit_of_work``): steps are recorded before any target is
touched and marked done after each target commit, so a killed worker resumes where it stopped
by replaying the recorded steps. A run that fails (an error reported, every uncommitted target
rolled back) drops the pending steps it planned, so a retry is planned again from the data map
then in force; a run that already committed in one database and failed in another keeps them,
and so do steps replayed from a crashed run (their database may have committed before the
crash): those retries carry on with the recorded steps. The journal is what was done.
These functions take ids and an engine, so a job queue can call them as they are."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.dsr import carry_out, rights
from ombud.dsr import repository as dsr_repository
from ombud.dsr import service as dsr_service
from ombud.errors import OmbudError
from ombud.execution import constraints, downloads, package, repository
from ombud.execution.changes import Change
from ombud.execution.completion import TASKS_DONE, WAITING, finish, wait_for_tasks, with_uploads
from ombud.execution.person import records_for
from ombud.execution.planner import ACCESS_TYPES, ERASURE_TYPES, Plan, build_plan
from ombud.execution.runner import ConnectorPool, RequestOutcome, RequestSpec, execute_batch
from ombud.execution.service import masking_key, plan_of_version, result_of, spec_for
from ombud.manual import service as manual_service
from ombud.models.base import new_id
from ombud.models.execution import ExecutionRun

STALE_AFTER = timedelta(minutes=15)
HEARTBEAT_EVERY = timedelta(seconds=30)


def worker_name() -> str:
    """``host:pid:thread`` of this thread (the server's background runner and an API call
    may run requests in the same process at once)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _alive(worker: str | None) -> bool:
    """False when the worker ran on this host and its process (or thread) is gone."""
    if not worker:
        return False
    host, pid, thread = [*worker.split(":"), "", ""][:3]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return thread.isdigit() and int(thread) in {t.ident for t in threading.enumerate()}
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(run: ExecutionRun) -> bool:
    if run.worker == worker_name():
        return True
    if not _alive(run.worker):
        return True
    return run.heartbeat_at is None or utcnow() - run.heartbeat_at > STALE_AFTER


class StoreJournal:
    """The ``Journal`` kept in Ombud's store; every call is its own committed transaction."""

    def __init__(self, engine: Engine | None, runs: dict[str, str], *, actor: str) -> None:
        self.engine = engine
        self.runs = runs  # request id -> run id
        self.actor = actor
        self.beat: datetime | None = None
        # Requests whose steps this run planned (not replayed from an earlier, crashed run).
        self.recorded: set[str] = set()

    def planned(self, request_ids: Sequence[str]) -> dict[str, list[Change]]:
        """Changes recorded by an earlier attempt."""
        out: dict[str, list[Change]] = {}
        with unit_of_work(self.engine) as session:
            for step in repository.steps(session, request_ids):
                if step.action == "access":
                    continue
                ident = (step.request_id, step.collection, step.action)
                change = Change.restore(ident, step.payload, step.summary, step.kept)
                out.setdefault(step.request_id, []).append(change)
        return out

    def record_planned(self, changes: Sequence[Change]) -> None:
        """Insert the steps (pending) and move the runs to ``applying``."""
        rows = [
            {
                "id": new_id(),
                "run_id": self.runs[c.request_id],
                "request_id": c.request_id,
                "collection": c.collection,
                "action": c.action,
                "position": i,
                "status": "pending",
                "payload": c.payload(),
                "summary": c.summary(),
                "kept": c.kept,
                "old_hashes": c.old_hashes,
            }
            for i, c in enumerate(changes)
        ]
        with unit_of_work(self.engine) as session:
            repository.insert_steps(session, rows)
            self.recorded.update(c.request_id for c in changes)
            requests = sorted({c.request_id for c in changes})
            self.beat = utcnow()
            repository.set_phase(session, requests, "applying", heartbeat_at=self.beat)

    def done(self, request_ids: Sequence[str]) -> set[tuple[str, str, str]]:
        """Steps already applied."""
        with unit_of_work(self.engine) as session:
            return repository.done_steps(session, request_ids)

    def mark_done(self, changes: Sequence[Change]) -> None:
        """Mark steps done; rectifications leave the old values' hashes in the audit log."""
        with unit_of_work(self.engine) as session:
            repository.mark_done(session, [c.ident for c in changes], at=utcnow())
            for c in changes:
                if c.action == "rectify" and c.updates:
                    audit.record(
                        session,
                        action="execution.rectified",
                        actor=self.actor,
                        subject_type="privacy_request",
                        subject_id=c.request_id,
                        data={
                            "collection": c.collection,
                            "fields": c.fields,
                            "changed": len(c.updates),
                            "old_value_sha256": c.old_hashes,
                        },
                    )
            # The lease needs a sign of life now and then, not one write per run per collection.
            now = utcnow()
            if self.beat is None or now - self.beat > HEARTBEAT_EVERY:
                requests = sorted({c.request_id for c in changes})
                repository.set_phase(session, requests, "applying", heartbeat_at=now)
                self.beat = now


@dataclass
class RunReport:
    """What happened to one request in a run."""

    request_id: str
    status: str  # completed, waiting, failed, skipped
    message: str = ""


def claim(
    engine: Engine | None, request_ids: Sequence[str], *, actor: str
) -> tuple[list[RequestSpec], dict[str, str], list[RunReport]]:
    """Move runnable requests to in_progress and take their runs; report the others."""
    specs: list[RequestSpec] = []
    runs: dict[str, str] = {}
    skipped: list[RunReport] = []
    with unit_of_work(engine) as session:
        for rid in request_ids:
            request = dsr_service.get(session, rid, lock=True)
            run = repository.get_run(session, rid, lock=True)
            if request.status == "in_progress" and run is not None and run.phase == WAITING:
                waiting = manual_service.open_count(session, rid)
                skipped.append(RunReport(rid, "skipped", f"waiting for {waiting} manual tasks"))
                continue
            if request.status == "in_progress" and run is not None and not _stale(run):
                skipped.append(RunReport(rid, "skipped", f"being run by {run.worker}"))
                continue
            if request.status not in ("approved", "failed", "in_progress"):
                skipped.append(RunReport(rid, "skipped", f"request is {request.status}"))
                continue
            try:
                spec = spec_for(request)
            except OmbudError as exc:
                skipped.append(RunReport(rid, "skipped", exc.message))
                continue
            if request.status != "in_progress":
                dsr_service.start_execution(session, rid, actor=actor)
            if run is None:
                run = ExecutionRun(request_id=rid, phase="collecting", attempts=0)
                repository.add_run(session, run)
            run.attempts += 1
            run.worker, run.heartbeat_at, run.error = worker_name(), utcnow(), None
            if run.phase in ("failed", "completed", TASKS_DONE):
                run.phase = "collecting"
            specs.append(spec)
            runs[rid] = run.id
    return specs, runs, skipped


def _fail(
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


def _complete(
    engine: Engine | None,
    outcome: RequestOutcome,
    plan: Plan,
    datamap: DataMap,
    *,
    settings: Settings,
    actor: str,
) -> bool:
    """Build the package, complete the request; False when it waits for manual tasks."""
    spec = outcome.spec
    result = result_of(plan, outcome)
    if spec.type in ACCESS_TYPES:
        # The owners' files go into the package: it is built once every task is closed.
        with unit_of_work(engine) as session:
            if wait_for_tasks(session, spec.id, None):
                return False
            # The same transaction reads what the package needs: one round trip fewer.
            passphrase, recipient = dsr_service.package_keys(session, spec.id, settings=settings)
            person = records_for(session, spec.id, datamap, settings=settings)
            uploads = manual_service.uploads(session, settings, spec.id)
        if package.holds_data(plan, outcome.rows, person.consents) or uploads:
            data = package.build_zip(
                datamap,
                plan,
                request_id=spec.id,
                rows=outcome.rows,
                kept=outcome.kept(),
                consents=person.consents,
                authority=person.authority,
            )
            data = with_uploads(data, uploads)
            # Encrypted before it is written, when the person asked: no plain copy on disk.
            export = package.store(
                settings,
                downloads.new_export_id(spec.id),
                data,
                passphrase=passphrase,
                recipient=recipient,
                name=package.package_name(datamap.organization.name, spec.type, utcnow().date()),
            )
            # No link here: it is signed for the person's letter only, never kept in the result.
            result.update(
                download_expires_at=downloads.expires_at(settings).isoformat(),
                export_id=export.id,
                package_sha256=export.sha256,
                package_name=package.download_name(export.path),
            )
        else:
            # Nothing to download: the letter says we hold no personal data about the person.
            result.update(no_data=True)
    with unit_of_work(engine) as session:
        run = repository.get_run(session, spec.id, lock=True)
        if spec.type in ACCESS_TYPES and run is not None:
            repository.insert_steps(
                session,
                [
                    {
                        "id": new_id(),
                        "run_id": run.id,
                        "request_id": spec.id,
                        "collection": name,
                        "action": "access",
                        "position": i,
                        "status": "done",
                        "payload": {},
                        "summary": info,
                        "kept": [],
                        "old_hashes": {},
                        "done_at": utcnow(),
                    }
                    for i, (name, info) in enumerate(result["collections"].items())
                ],
            )
        if wait_for_tasks(session, spec.id, result):
            return False
        finish(session, spec, result, actor=actor)
    return True


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
    request_ids, reports = _carry_out_rights(engine, request_ids, actor=actor)
    specs, runs, claimed = claim(engine, request_ids, actor=actor)
    reports += claimed
    if not specs:
        return reports
    for spec in specs:
        # A package written by an earlier attempt that died before recording it: never sent.
        package.discard(settings, spec.id)
    journal = StoreJournal(engine, runs, actor=actor)
    try:
        datamap, version, plan = _plan(engine, settings, datamap)
        with ConnectorPool(datamap, settings.connections) as pool:
            specs, refused = _refuse_unwritable(engine, plan, pool, specs, version, actor)
            reports += refused
            if not specs:
                return reports
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
        _fail(engine, specs, exc.message, actor, planned=journal.recorded)
        return reports + [RunReport(s.id, "failed", exc.message) for s in specs]
    for spec in specs:
        if _complete(engine, outcomes[spec.id], plan, datamap, settings=settings, actor=actor):
            reports.append(RunReport(spec.id, "completed"))
        else:
            reports.append(RunReport(spec.id, "waiting", "waiting for manual tasks"))
    return reports


def _carry_out_rights(
    engine: Engine | None, request_ids: Sequence[str], *, actor: str
) -> tuple[list[str], list[RunReport]]:
    """Carry out the requests no database run is needed for (``ombud.dsr.rights``): approved
    or failed ones are completed here; the other ids are returned for the database run."""
    rest: list[str] = []
    reports: list[RunReport] = []
    for rid in request_ids:
        with unit_of_work(engine) as session:
            request = dsr_service.get(session, rid, lock=True)
            if rights.of(request.type).handler == rights.EXECUTION:
                rest.append(rid)
                continue
            if request.status not in ("approved", "failed"):
                reports.append(RunReport(rid, "skipped", f"request is {request.status}"))
                continue
            done = carry_out.run(session, request, actor=actor)
            reports.append(RunReport(rid, done.status))
    return rest, reports


def _plan(
    engine: Engine | None, settings: Settings, datamap: DataMap | None
) -> tuple[DataMap, str, Plan]:
    """The data map to run with, its content hash and its plan (cached per applied version)."""
    if datamap is None:
        with unit_of_work(engine) as session:
            current = datamap_service.current_version(session)
            if current is not None:
                version, datamap = current
                return (
                    datamap,
                    version,
                    plan_of_version(datamap, connections=settings.connections),
                )
            datamap = datamap_service.get_current(session)
    plan = build_plan(datamap, connections=settings.connections)
    return datamap, datamap_service.content_hash(datamap_service.normalise(datamap)), plan


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
    _fail(engine, erasing, error, actor)
    rest = [s for s in specs if s.type not in ERASURE_TYPES]
    return rest, [RunReport(s.id, "failed", error) for s in erasing]


def runnable_ids(engine: Engine | None, *, limit: int) -> list[str]:
    """Approved requests, then in-progress ones whose worker is gone."""
    with unit_of_work(engine) as session:
        ids = dsr_repository.ids_by_status(session, "approved", limit=limit)
        for run in repository.in_progress_runs(session):
            if len(ids) >= limit:
                break
            if run.phase != WAITING and _stale(run) and run.request_id not in ids:
                ids.append(run.request_id)
        # in_progress requests that crashed before their run row was committed
        for rid in dsr_repository.ids_by_status(session, "in_progress", limit=limit):
            if len(ids) < limit and rid not in ids and repository.get_run(session, rid) is None:
                ids.append(rid)
    return ids


def run_pending(
    engine: Engine | None,
    *,
    settings: Settings,
    batch: int = 100,
    actor: str = "system:execution",
    datamap: DataMap | None = None,
    progress: Callable[[str], None] | None = None,
    on_batch: Callable[[list[str]], None] | None = None,
) -> list[RunReport]:
    """Run every approved (or abandoned) request, ``batch`` at a time."""
    reports: list[RunReport] = []
    tried: set[str] = set()
    while True:
        ids = [i for i in runnable_ids(engine, limit=batch + len(tried)) if i not in tried][:batch]
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
