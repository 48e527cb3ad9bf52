"""Staff decisions on requests and the execution hooks; the public intake is in ``intake``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
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
    outcome,
    repository,
    sealing,
    workflow,
)
from ombud.dsr.deadlines import extended_deadline
from ombud.dsr.intake import acknowledge, resend, submit, verify
from ombud.dsr.staff_intake import create
from ombud.errors import Conflict, Gone, InvalidInput, NotFound
from ombud.execution import package
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
    text = _required(text, "text")
    get(session, request_id)
    note = RequestNote(request_id=request_id, author=actor, text=text)
    repository.add(session, note)
    audit.record(
        session,
        action="request.note_added",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request_id,
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


# ---------------------------------------------------------------- execution hooks
def start_execution(session: Session, request_id: str, *, actor: str) -> PrivacyRequest:
    """approved|failed -> in_progress."""
    request = get(session, request_id, lock=True)
    return workflow.move(session, request, S.in_progress, actor=actor, action="start execution")


def complete_execution(
    session: Session, request_id: str, *, actor: str, result: dict[str, Any]
) -> PrivacyRequest:
    """in_progress -> completed; keep the result and send the completion letter."""
    request = get(session, request_id, lock=True)
    workflow.check(request, S.completed, action="complete")
    # Through JSON once, so datetimes and other values the engine returns are storable.
    stored: dict[str, Any] = json.loads(json.dumps(result, default=str))
    # The person's link goes into their letter only: never kept, never shown to staff.
    secret = {"download_url": str(stored.pop("download_url"))} if "download_url" in stored else {}
    if request.package_encryption and stored.get("export_id"):
        stored.update(_encrypt_package(request, str(stored["export_id"])))
    if stored.get("export_id"):
        settings = config.get_settings()
        try:
            package.find(settings, str(stored["export_id"]))
        except Gone:
            # Never a letter that links to a file that does not exist: the run fails instead.
            raise Conflict(
                f"the access package of request {request_id} is missing; run it again"
            ) from None
        url, _ = package.sign(settings, export_id=str(stored["export_id"]), request_id=request.id)
        secret = {"download_url": url}
        if request.package_encryption == "passphrase":
            # The page that opens the package in the browser: the same one-time link.
            secret["unlock_url"] = f"{url}{outcome.UNLOCK_SUFFIX}"
    request.result = stored
    kept = [k for k in stored.get("kept", []) if isinstance(k, dict)]
    letters.send(
        session,
        request,
        "completion",
        actor=actor,
        secret=secret,
        kept=kept,
        download_expires_at=stored.get("download_expires_at"),
        package_encryption=stored.get("package_encryption"),
        package_file=stored.get("package_file"),
        **outcome.completion_context(session, request, stored),
    )
    # Only the shape of the result: it may hold personal data or export details.
    return workflow.move(
        session,
        request,
        S.completed,
        actor=actor,
        action="complete",
        data={"kept": len(kept), "result_keys": sorted(str(k) for k in result)},
    )


def minimise_after_erasure(session: Session, request_id: str, *, actor: str) -> PrivacyRequest:
    """After an erasure: keep what accountability needs (type, dates, the address the answer
    went to, the result's counts) and drop the other identities and the free text."""
    request = get(session, request_id, lock=True)
    request.identities = {"email": request.email} if request.email else {}
    request.details = ""
    request.rectification = None
    session.flush()
    audit.record(
        session,
        action="request.minimised",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"kept": ["email", "type", "dates", "result"]},
    )
    return request


def package_keys(
    session: Session, request_id: str, *, settings: Settings | None = None
) -> tuple[str | None, str | None]:
    """The passphrase (unsealed) and age recipient the person chose for their package."""
    request = get(session, request_id)
    return _package_keys(request, settings or config.get_settings())


def _package_keys(request: PrivacyRequest, settings: Settings) -> tuple[str | None, str | None]:
    if request.package_encryption != "passphrase":
        return None, request.package_recipient
    if not request.package_passphrase_sealed:
        raise Conflict(
            f"request {request.id} asked for a passphrase-encrypted package, but the "
            "passphrase is no longer kept; ask the person to make the request again"
        )
    passphrase = sealing.unseal(settings, request.package_passphrase_sealed, request_id=request.id)
    return passphrase, request.package_recipient


def _encrypt_package(request: PrivacyRequest, export_id: str) -> dict[str, Any]:
    """Encrypt the package as the person chose, unless the run already stored it encrypted;
    the sealed passphrase is wiped when the request moves to completed."""
    settings = config.get_settings()
    passphrase, recipient = _package_keys(request, settings)
    export = package.encrypt_stored(settings, export_id, passphrase=passphrase, recipient=recipient)
    return {
        "package_encryption": request.package_encryption,
        "package_file": export.path.name,
        "package_sha256": export.sha256,
    }


def fail_execution(session: Session, request_id: str, *, actor: str, error: str) -> PrivacyRequest:
    """in_progress -> failed (retriable)."""
    request = get(session, request_id, lock=True)
    return workflow.move(
        session, request, S.failed, actor=actor, action="fail", data={"error": error[:2000]}
    )


def _required(value: str, name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{name} is required")
    return value
