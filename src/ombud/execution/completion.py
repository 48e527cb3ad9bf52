"""Completing a request once its automated part and every manual task are done.

A request whose automated part finishes while manual tasks are open stays ``in_progress``
with its run parked in ``awaiting_tasks`` (its result kept); the owner who closes the last
task completes it in that transaction. An access request parks before its package is built,
and its run moves to ``tasks_done`` instead, so the next run builds the package with the
files the owners uploaded."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.consent import erasure as consent_erasure
from ombud.consent.erasure import LedgerErasure
from ombud.dsr import rights
from ombud.dsr import service as dsr_service
from ombud.execution import repository
from ombud.execution.planner import ACCESS_TYPES, ERASURE_TYPES
from ombud.execution.runner import RequestSpec
from ombud.execution.service import spec_for
from ombud.manual import service as manual_service
from ombud.models.requests import RequestStatus as S

WAITING = "awaiting_tasks"
TASKS_DONE = "tasks_done"


def tasks_open(session: Session, request_id: str) -> bool:
    """True when the request's run must wait for manual tasks still open."""
    # Locked in the order the task page locks them, so the last task cannot close unseen.
    dsr_service.get(session, request_id, lock=True)
    run = repository.get_run(session, request_id, lock=True)
    return run is not None and manual_service.open_count(session, request_id) > 0


def wait_for_tasks(session: Session, request_id: str, result: dict[str, Any] | None) -> bool:
    """Park the run while manual tasks are open (keeping ``result``); False when none are."""
    if not tasks_open(session, request_id):
        return False
    request = dsr_service.get(session, request_id, lock=True)
    run = repository.get_run(session, request_id, lock=True)
    assert run is not None  # tasks_open found it
    run.phase, run.worker, run.heartbeat_at = WAITING, None, None
    if result is not None:
        request.result = json.loads(json.dumps(result, default=str))
    return True


def finish(
    session: Session,
    spec: RequestSpec,
    result: dict[str, Any],
    *,
    actor: str,
    ledger: LedgerErasure | None = None,
) -> None:
    """Complete the request: Ombud's own records (``ledger``: an erasure's consent ledger,
    already erased with its batch), the result with what each manual system did, the
    completion letter."""
    run = repository.get_run(session, spec.id, lock=True)
    if run is not None:
        run.phase, run.finished_at, run.worker = "completed", utcnow(), None
    manual = manual_service.outcomes(session, spec.id)
    if manual:
        result["manual_tasks"] = manual
    if spec.type in ERASURE_TYPES:
        # Ombud's own records too, in the transaction that completes the request. The
        # ledger's statements touch consent tables only, where nothing waits to be flushed:
        # the batch's other changes are not flushed for them, and go together at commit.
        if ledger is None:
            with session.no_autoflush:
                ledger = consent_erasure.erase_person(
                    session, identities=spec.identities, actor=actor, request_id=spec.id
                )
        result["consent_ledger"] = ledger.as_dict()
    dsr_service.complete_execution(session, spec.id, actor=actor, result=result)
    if spec.type in ERASURE_TYPES:
        dsr_service.minimise_after_erasure(session, spec.id, actor=actor)


def finish_after_tasks(session: Session, request_id: str, *, actor: str) -> None:
    """The last manual task closed: complete a parked request in this transaction, or let
    the next run build an access request's package with the owners' files."""
    run = repository.get_run(session, request_id, lock=True)
    if run is None:
        _finish_right(session, request_id, actor=actor)
        return
    if run.phase != WAITING:
        return  # the automated part has not finished: it completes the request itself
    request = dsr_service.get(session, request_id, lock=True)
    if request.type in ACCESS_TYPES:
        run.phase, run.worker, run.heartbeat_at = TASKS_DONE, None, None
        return
    finish(session, spec_for(request), dict(request.result or {}), actor=actor)


def _finish_right(session: Session, request_id: str, *, actor: str) -> None:
    # Rights carried out without a database run (dsr.carry_out) wait in_progress, their
    # result kept on the request, until the last task closes.
    request = dsr_service.get(session, request_id, lock=True)
    if request.status != S.in_progress.value or rights.of(request.type).handler == rights.EXECUTION:
        return
    result = dict(request.result or {})
    result["manual_tasks"] = manual_service.outcomes(session, request_id)
    dsr_service.complete_execution(session, request_id, actor=actor, result=result)
