"""Staff decisions on requests and the execution hooks; the public intake is in ``intake``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.datamap import correctable
from ombud.datamap import service as datamap_service
from ombud.datamap.correctable import Option
from ombud.dsr import (
    agents,
    approval,
    carry_out,
    corrections,
    jurisdictions,
    letters,
    repository,
    workflow,
)
from ombud.dsr.deadlines import extended_deadline
from ombud.dsr.execution_hooks import (
    complete_execution,
    fail_execution,
    minimise_after_erasure,
    package_keys,
    start_execution,
)
from ombud.dsr.intake import acknowledge, resend, submit, verify
from ombud.dsr.staff_intake import create
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.models.requests import PrivacyRequest, RequestMessage, RequestNote
from ombud.models.requests import RequestStatus as S

__all__ = [
    "acknowledge",
    "approve",
    "cancel",
    "complete_execution",
    "create",
    "deny",
    "extend",
    "fail_execution",
    "get",
    "minimise_after_erasure",
    "package_keys",
    "queue",
    "resend",
    "start_execution",
    "submit",
    "verify",
]

DUE_SOON_DAYS = 7
SUBJECT = "privacy_request"


def get(session: Session, request_id: str, *, lock: bool = False) -> PrivacyRequest:
    """The request with this id or ``NotFound``."""
    found = (
        repository.get_for_update(session, request_id)
        if lock
        else repository.get(session, request_id)
    )
    if found is None:
        raise NotFound(f"no privacy request with id {request_id}")
    return found


def deadline(request: PrivacyRequest) -> date | None:
    """The deadline in force (the extended one if extended)."""
    return request.extended_due_on or request.due_on


@dataclass(frozen=True)
class QueueItem:
    """A request with its deadline flags, for the staff queue."""

    request: PrivacyRequest
    deadline: date | None
    overdue: bool
    due_soon: bool


def flags(request: PrivacyRequest, *, due_soon_days: int = DUE_SOON_DAYS) -> QueueItem:
    """Compute overdue / due-soon for one request against the clock."""
    today = utcnow().date()
    due = deadline(request)
    open_ = S(request.status) in workflow.OPEN and request.paused_at is None
    overdue = bool(open_ and due is not None and today > due)
    soon = bool(
        open_ and due is not None and not overdue and due <= today + timedelta(days=due_soon_days)
    )
    return QueueItem(request, due, overdue, soon)


def queue(
    session: Session,
    *,
    status: str | None = None,
    due_soon_days: int = DUE_SOON_DAYS,
    include_closed: bool = False,
) -> list[QueueItem]:
    """Open requests (or those in ``status``, or all), nearest deadline first, with flags."""
    if status is not None:
        try:
            statuses = [S(status).value]
        except ValueError:
            known = ", ".join(s.value for s in S)
            raise InvalidInput(f"unknown status {status!r}; use one of: {known}") from None
    elif include_closed:
        statuses = [s.value for s in S]
    else:
        statuses = [s.value for s in workflow.OPEN]
    return [
        flags(r, due_soon_days=due_soon_days) for r in repository.queue(session, statuses=statuses)
    ]


def messages(session: Session, request_id: str) -> list[RequestMessage]:
    """Letters sent about a request."""
    get(session, request_id)
    return repository.messages(session, request_id)


def notes(session: Session, request_id: str) -> list[RequestNote]:
    """Staff notes on a request."""
    get(session, request_id)
    return repository.notes(session, request_id)


def approve(session: Session, request_id: str, *, actor: str, note: str = "") -> PrivacyRequest:
    """Approve a verified request so execution may carry it out; under a two-approval rule
    the first approval is recorded and the request waits for a second staff member."""
    request = get(session, request_id, lock=True)
    if request.status == S.completed.value:
        raise Conflict(
            f"cannot approve request {request_id}: it is completed; reopen it first "
            f"(POST /api/v1/requests/{request_id}/reopen)"
        )
    workflow.check(request, S.approved, action="approve")
    corrections.check_ready(request)
    if request.type == "objection" and ((request.result or {}).get("rights") or {}).get("pending"):
        raise Conflict(
            f"cannot approve objection {request_id} as a whole: decide it purpose by purpose "
            f"(POST /api/v1/requests/{request_id}/objection)"
        )
    if approval.record(session, request, actor=actor):
        workflow.move(
            session,
            request,
            S.approved,
            actor=actor,
            action="approve",
            data={"rule": request.approval_rule, "approvals": len(request.approvals)},
        )
    if note:
        add_note(session, request_id, actor=actor, text=note)
    if request.status == S.approved.value:  # not while a second approval is awaited
        carry_out.advance(session, request, actor=actor)
    return request


def correctable_options(session: Session) -> list[Option]:
    """What people may ask to correct under the data map in force (none without a map)."""
    try:
        datamap = datamap_service.get_current(session)
    except NotFound:
        return []
    return correctable.options(datamap)


def edit_corrections(
    session: Session, request_id: str, *, actor: str, rectification: dict[str, Any]
) -> PrivacyRequest:
    """Staff replace the corrections of a rectification request before approving it."""
    request = get(session, request_id, lock=True)
    return corrections.edit(session, request, rectification, actor=actor)


def deny(session: Session, request_id: str, *, actor: str, reason: str) -> PrivacyRequest:
    """Refuse a request; the letter gives reasons and the right to complain and go to court."""
    reason = _required(reason, "reason")
    request = get(session, request_id, lock=True)
    workflow.check(request, S.denied, action="deny")
    request.denial_reason = reason
    letters.send(
        session, request, "denial", actor=actor, **_denial_context(session, request, reason)
    )
    workflow.move(session, request, S.denied, actor=actor, action="deny")
    return request


def _denial_context(session: Session, request: PrivacyRequest, reason: str) -> dict[str, Any]:
    juris = jurisdictions.load(session).get(request.jurisdiction)
    return {"reason": reason, "complaint_right": juris.complaint_right if juris else True}


def denial_letter(session: Session, request_id: str, *, reason: str) -> tuple[str, str]:
    """The subject and text of the denial letter ``deny`` would send; nothing is sent."""
    reason = _required(reason, "reason")
    request = get(session, request_id)
    workflow.check(request, S.denied, action="deny")
    return letters.draft(session, request, "denial", **_denial_context(session, request, reason))


def extend(session: Session, request_id: str, *, actor: str, reason: str) -> PrivacyRequest:
    """Extend the deadline once, with reasons told to the person before the first deadline."""
    reason = _required(reason, "reason")
    request = get(session, request_id, lock=True)
    if S(request.status) in workflow.CLOSED:
        raise Conflict(f"cannot extend request {request_id}: it is already {request.status}")
    if request.extended_due_on is not None:
        raise Conflict(
            f"request {request_id} was already extended to {request.extended_due_on}; "
            "only one extension is allowed"
        )
    juris = jurisdictions.get(jurisdictions.load(session), request.jurisdiction)
    rules = jurisdictions.rules_for(juris, request.type)
    if rules.extension is None or request.due_on is None:
        raise Conflict(f"{juris.name} allows no extension for a {request.type} request")
    today = utcnow().date()
    if today > request.due_on:
        raise Conflict(
            f"cannot extend request {request_id}: its first deadline {request.due_on} has "
            "passed, and the person must be told of an extension before it"
        )
    request.extended_due_on = extended_deadline(
        request.received_on, rules.deadline, rules.extension
    ) + timedelta(days=request.paused_days)
    request.extension_reason = reason
    session.flush()
    letters.send(session, request, "extension", actor=actor, reason=reason)
    audit.record(
        session,
        action="request.extended",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"due_on": request.due_on, "extended_due_on": request.extended_due_on},
    )
    return request


def cancel(session: Session, request_id: str, *, actor: str, reason: str) -> PrivacyRequest:
    """Cancel a request (withdrawn by the person or by the forwarding system)."""
    reason = _required(reason, "reason")
    request = get(session, request_id, lock=True)
    workflow.move(session, request, S.cancelled, actor=actor, action="cancel")
    add_note(session, request_id, actor=actor, text=f"cancelled: {reason}")
    return request


def add_note(session: Session, request_id: str, *, actor: str, text: str) -> RequestNote:
    """Keep an internal note with the request."""
    _required(text, "text")
    return note_on(session, get(session, request_id), actor=actor, text=text)


def note_on(session: Session, request: PrivacyRequest, *, actor: str, text: str) -> RequestNote:
    """Keep an internal note with ``request``, already at hand (a bulk intake's new row)."""
    text = _required(text, "text")
    note = RequestNote(request_id=request.id, author=actor, text=text)
    repository.add(session, note)
    audit.record(
        session,
        action="request.note_added",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"note_id": note.id},
    )
    return note


def request_proof(session: Session, request_id: str, *, actor: str, message: str) -> PrivacyRequest:
    """Ask the person for more proof of identity; the clock pauses until they answer."""
    message = _required(message, "message")
    request = get(session, request_id, lock=True)
    if request.paused_at is not None:
        raise Conflict(
            f"request {request_id} is already waiting for proof since {request.paused_at}"
        )
    workflow.move(
        session, request, S.awaiting_verification, actor=actor, action="ask for more proof"
    )
    request.paused_at = utcnow()
    letters.send(session, request, "more_proof", actor=actor, ask=message)
    return request


def proof_received(
    session: Session, request_id: str, *, actor: str, note: str = ""
) -> PrivacyRequest:
    """Record the person's answer to a proof request: the clock resumes, deadlines shift."""
    request = get(session, request_id, lock=True)
    if request.paused_at is None:
        raise Conflict(f"request {request_id} is not waiting for proof of identity")
    # An agent's request without the written permission still waits for it after the proof.
    target = agents.after_confirmation(request)
    workflow.check(request, target, action="resume")
    days = max((utcnow().date() - request.paused_at.date()).days, 0)
    request.paused_days += days
    for field in ("due_on", "extended_due_on", "acknowledge_by"):
        value = getattr(request, field)
        if value is not None:
            setattr(request, field, value + timedelta(days=days))
    request.paused_at = None
    workflow.move(
        session,
        request,
        target,
        actor=actor,
        action="proof received",
        data={"paused_days": days},
    )
    if note:
        add_note(session, request_id, actor=actor, text=note)
    acknowledge(session, request, actor=actor)
    carry_out.advance(session, request, actor=actor)
    return request


def _required(value: str, name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{name} is required")
    return value
