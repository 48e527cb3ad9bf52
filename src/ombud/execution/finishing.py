"""Completing a run: the access package built and stored, the request completed (or parked
while manual tasks are open); a batch's requests complete in one transaction, a savepoint
each, so one that cannot complete leaves the others completed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.consent import erasure as consent_erasure
from ombud.consent.erasure import LedgerErasure
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import after_commit, unit_of_work
from ombud.dsr import repository as dsr_repository
from ombud.dsr import service as dsr_service
from ombud.errors import OmbudError
from ombud.execution import downloads, package, repository
from ombud.execution.completion import finish, tasks_open, wait_for_tasks
from ombud.execution.person import read_ahead, records_for
from ombud.execution.planner import ACCESS_TYPES, ERASURE_TYPES, Plan
from ombud.execution.runner import RequestOutcome
from ombud.execution.service import result_of
from ombud.manual import service as manual_service
from ombud.models.base import new_id
from ombud.phases import phase

log = logging.getLogger(__name__)


@dataclass
class Completed:
    """What completing a batch did: completed, waiting for manual tasks, or refused (why)."""

    completed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def complete_many(
    engine: Engine | None,
    outcomes: Sequence[RequestOutcome],
    plan: Plan,
    datamap: DataMap,
    *,
    settings: Settings,
    actor: str,
    map_key: tuple[str, str] | None = None,
    session: Session | None = None,
) -> Completed:
    """Build the packages and complete the requests in one transaction (one commit, one
    after-commit send of every letter); a request that cannot complete is reported in
    ``refused`` and the others complete. ``map_key``: the applied map version the batch was
    claimed with, which its letters and records then use too. Given ``session``, the work
    goes into its transaction, which the caller commits; any failure is then raised."""
    if session is not None:
        return _complete(session, outcomes, plan, datamap, settings, actor, map_key, False, [])
    # First without savepoints: one flush then writes every request's changes together (a
    # statement per table, not six per request). Should any request fail, that attempt is
    # rolled back whole and the batch runs again with a savepoint per request.
    committed: list[bool] = []
    try:
        return _complete(
            engine, outcomes, plan, datamap, settings, actor, map_key, False, committed
        )
    except Exception as exc:  # retried below, one savepoint per request, where it is reported
        if committed:
            raise  # the batch is done: what failed came after its commit
        log.info("completing the batch at once failed (%s); now request by request", exc)
    return _complete(engine, outcomes, plan, datamap, settings, actor, map_key, True, [])


def _complete(
    engine: Engine | Session | None,
    outcomes: Sequence[RequestOutcome],
    plan: Plan,
    datamap: DataMap,
    settings: Settings,
    actor: str,
    map_key: tuple[str, str] | None,
    isolate: bool,
    committed: list[bool],
) -> Completed:
    """One attempt at the batch; with ``isolate``, a savepoint per request and a failure
    reported, without, the first failure raised. ``committed`` gets an item once the
    attempt's transaction has committed. Given a session (not an engine), the attempt goes
    into its transaction and the caller commits."""
    done = Completed()
    ids = [o.spec.id for o in outcomes]
    # The packages written: a rolled-back request (or attempt) leaves no file behind.
    written: list[Path] = []
    try:
        with phase("completion", len(ids)), _transaction(engine) as session:
            # First of the after-commit work: anything that fails after this found the
            # batch committed, its packages referenced.
            after_commit(session, lambda: committed.append(True))
            # Locked together first (requests, then runs, in the order the task page locks
            # them): no task can close unseen, and each request finds its rows locked.
            dsr_repository.lock_many(session, ids)
            repository.lock_runs(session, ids)
            manual_service.prime(session, ids)
            if map_key is not None:
                datamap_service.run_with(session, map_key)
            # Several packages: their people's consent histories in one read.
            access = [o.spec.id for o in outcomes if o.spec.type in ACCESS_TYPES]
            if len(access) > 1:
                read_ahead(session, access, settings=settings)
            # Several erasures: their people's consent states in one read.
            erasing = [o.spec.identities for o in outcomes if o.spec.type in ERASURE_TYPES]
            if len(erasing) > 1:
                consent_erasure.read_ahead(session, erasing)
            ledgers = {} if isolate else _erase_ledgers(session, outcomes, actor)
            # What each access run read, kept as its done steps: written once for the
            # batch, for the requests that completed.
            steps: list[dict[str, Any]] = []
            for outcome in outcomes:
                rid, mark = outcome.spec.id, len(written)
                try:
                    with session.begin_nested() if isolate else nullcontext():
                        rows = _complete_one(
                            session, outcome, plan, datamap, settings, actor, written, ledgers
                        )
                except OmbudError as exc:
                    if not isolate:
                        raise
                    _discard(written[mark:])
                    done.refused[rid] = exc.message
                    continue
                except Exception:  # a bug: this request stays in progress, retried when stale
                    if not isolate:
                        raise
                    _discard(written[mark:])
                    log.exception("completing request %s failed; the others go on", rid)
                    continue
                (done.waiting if rows is None else done.completed).append(rid)
                steps += rows or []
            repository.insert_steps(session, steps)
    except BaseException:
        if not committed:
            _discard(written)
        raise
    return done


def _transaction(engine: Engine | Session | None) -> AbstractContextManager[Session]:
    """A unit of work of its own, or the caller's session as it is."""
    return nullcontext(engine) if isinstance(engine, Session) else unit_of_work(engine)


def _erase_ledgers(
    session: Session, outcomes: Sequence[RequestOutcome], actor: str
) -> dict[str, LedgerErasure]:
    """The consent ledger of each erasure of the batch that completes now, erased together
    (one set of statements, not four per person); none when a person erased also has another
    request in the batch, which must then see the ledger as it is at its turn."""
    erasing = [
        o.spec
        for o in outcomes
        if o.spec.type in ERASURE_TYPES and not tasks_open(session, o.spec.id)
    ]
    if len(erasing) < 2:
        return {}
    ids = {s.id for s in erasing}
    others = [o.spec.identities for o in outcomes if o.spec.id not in ids]
    if consent_erasure.share_subjects([s.identities for s in erasing], others):
        return {}
    people = [(s.id, s.identities) for s in erasing]
    done = consent_erasure.erase_people(session, people, actor=actor)
    return {s.id: ledger for s, ledger in zip(erasing, done, strict=True)}


def _discard(paths: Sequence[Path]) -> None:
    """Delete the packages of work that was rolled back."""
    for path in paths:
        path.unlink(missing_ok=True)


def _complete_one(
    session: Session,
    outcome: RequestOutcome,
    plan: Plan,
    datamap: DataMap,
    settings: Settings,
    actor: str,
    written: list[Path],
    ledgers: dict[str, LedgerErasure],
) -> list[dict[str, Any]] | None:
    """Build the package, complete the request; the rows of its done steps, or None when it
    waits for manual tasks."""
    spec = outcome.spec
    result = result_of(plan, outcome)
    access = spec.type in ACCESS_TYPES
    # The request and its run stay locked to the end: no task can close unseen. An access
    # request parks before its package is built (the owners' files go into it).
    if wait_for_tasks(session, spec.id, None if access else result):
        return None
    if not access:
        finish(session, spec, result, actor=actor, ledger=ledgers.get(spec.id))
        return []
    with phase("package"):
        _package(session, outcome, plan, datamap, result, settings, written)
    steps = _access_steps(session, spec.id, result)
    finish(session, spec, result, actor=actor)
    return steps


def _package(
    session: Session,
    outcome: RequestOutcome,
    plan: Plan,
    datamap: DataMap,
    result: dict[str, Any],
    settings: Settings,
    written: list[Path],
) -> None:
    """Write the access package (or note that there is no data) into ``result``; its path is
    added to ``written``."""
    spec = outcome.spec
    passphrase, recipient = dsr_service.package_keys(session, spec.id, settings=settings)
    person = records_for(session, spec.id, datamap, settings=settings)
    uploads = manual_service.uploads(session, settings, spec.id)
    if not (package.holds_data(plan, outcome.rows, person.consents) or uploads):
        # Nothing to download: the letter says we hold no personal data about the person.
        result.update(no_data=True)
        return

    def write(out: BinaryIO) -> None:
        package.write_zip(
            out,
            datamap,
            plan,
            request_id=spec.id,
            rows=outcome.rows,
            kept=outcome.kept(),
            consents=person.consents,
            authority=person.authority,
            uploads=uploads,
        )

    # Streamed to disk; encrypted before it is written when the person asked (no plain copy
    # on disk).
    export = package.store_written(
        settings,
        downloads.new_export_id(spec.id),
        write,
        passphrase=passphrase,
        recipient=recipient,
        name=package.package_name(datamap.organization.name, spec.type, utcnow().date()),
    )
    written.append(export.path)
    # No link here: it is signed for the person's letter only, never kept in the result.
    result.update(
        download_expires_at=downloads.expires_at(settings).isoformat(),
        export_id=export.id,
        package_sha256=export.sha256,
        package_name=package.download_name(export.path),
    )


def _access_steps(
    session: Session, request_id: str, result: dict[str, Any]
) -> list[dict[str, Any]]:
    """What the run read, per collection, as rows of done steps of the run."""
    run = repository.get_run(session, request_id, lock=True)
    if run is None:
        return []
    now = utcnow()
    return [
        {
            "id": new_id(),
            "run_id": run.id,
            "request_id": request_id,
            "collection": name,
            "action": "access",
            "position": i,
            "status": "done",
            "payload": {},
            "summary": info,
            "kept": [],
            "old_hashes": {},
            "done_at": now,
        }
        for i, (name, info) in enumerate(result["collections"].items())
    ]
