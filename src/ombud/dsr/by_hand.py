"""Staff actions outside the automated paths: marking a request done by hand (what cannot be
automated), reopening a completed one, deciding an objection and lifting a restriction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.dsr import objection, restriction, workflow
from ombud.dsr import service as dsr_service
from ombud.errors import Conflict, InvalidInput
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S

# From where a request can be marked done by hand, and the way to completed.
DONE_PATHS = {
    S.verified: (S.approved, S.in_progress),
    S.approved: (S.in_progress,),
    S.in_progress: (),
    S.failed: (S.in_progress,),
}


def mark_done(session: Session, request_id: str, *, actor: str, note: str) -> PrivacyRequest:
    """Complete a request by hand; the note is kept, and quoted in the completion letter."""
    note = note.strip()
    if len(note) < 3:
        raise InvalidInput("note: say what was done (at least 3 characters)")
    request = dsr_service.get(session, request_id, lock=True)
    path = DONE_PATHS.get(S(request.status))
    if path is None:
        raise Conflict(
            f"cannot mark request {request_id} done: it is {request.status}; only verified, "
            "approved, in-progress or failed requests can be"
        )
    for step in path:
        workflow.move(session, request, step, actor=actor, action="done by hand")
    dsr_service.add_note(session, request_id, actor=actor, text=f"done by hand: {note}")
    audit.record(
        session,
        action="request.done_by_hand",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request_id,
        data={"from": path[0].value if path else request.status, "note_chars": len(note)},
    )
    result = {
        **(request.result or {}),
        "type": request.type,
        "done_by_hand": {"note": note, "by": actor},
    }
    return dsr_service.complete_execution(session, request_id, actor=actor, result=result)


def reopen(session: Session, request_id: str, *, actor: str, reason: str) -> PrivacyRequest:
    """completed -> approved, with the reason as a note (audited)."""
    reason = reason.strip()
    request = dsr_service.get(session, request_id, lock=True)
    if request.purged_at is not None or request.email is None:
        raise Conflict(f"request {request_id} was purged; it cannot be reopened")
    workflow.move(
        session,
        request,
        S.approved,
        actor=actor,
        action="reopen",
        data={"reason_chars": len(reason)},
    )
    dsr_service.add_note(session, request_id, actor=actor, text=f"reopened: {reason}")
    return request


def decide_objection(
    session: Session, request_id: str, decisions: dict[str, tuple[bool, str]], *, actor: str
) -> PrivacyRequest:
    """Staff uphold or override each pending purpose of an objection; it then completes."""
    request = dsr_service.get(session, request_id, lock=True)
    return objection.decide(session, request, decisions, actor=actor)


def lift_restriction(
    session: Session, request_id: str, *, actor: str, reason: str
) -> PrivacyRequest:
    """Lift the restriction a completed restriction request set, telling the person first."""
    request = dsr_service.get(session, request_id, lock=True)
    return restriction.lift(session, request, actor=actor, reason=reason.strip())
