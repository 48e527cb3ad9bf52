"""Who looks after a request, and requests staff enter themselves (letter, phone, import)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.dsr import intake, repository, workflow
from ombud.dsr.schemas import PrivacyRequestCreate
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.models.requests import PrivacyRequest, RequestNote
from ombud.models.requests import RequestStatus as S
from ombud.models.staff import ROLE_RANK, Role
from ombud.staff import repository as staff_repository

SUBJECT = "privacy_request"


def _locked(session: Session, request_id: str) -> PrivacyRequest:
    request = repository.get_for_update(session, request_id)
    if request is None:
        raise NotFound(f"no privacy request with id {request_id}")
    return request


def assign(
    session: Session, request_id: str, staff_email: str | None, actor: str
) -> PrivacyRequest:
    """Assign the request to an active privacy officer or admin; None or "" unassigns it."""
    request = _locked(session, request_id)
    if S(request.status) in workflow.CLOSED:
        raise Conflict(f"cannot assign request {request_id}: it is already {request.status}")
    user_id: str | None = None
    email = (staff_email or "").strip().lower()
    if email:
        user = staff_repository.get_user_by_email(session, email)
        if user is None or not user.active:
            raise NotFound(f"no active staff user with email {email} (see `ombud users list`)")
        if ROLE_RANK[Role(user.role)] < ROLE_RANK[Role.privacy_officer]:
            raise InvalidInput(
                f"{email} is a {user.role} and cannot decide requests; assign a privacy "
                "officer or an admin"
            )
        user_id = user.id
    previous = request.assigned_to
    request.assigned_to = user_id
    session.flush()
    audit.record(
        session,
        action="request.assigned",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"from": previous, "to": user_id},
    )
    return request


def create(
    session: Session,
    *,
    data: PrivacyRequestCreate,
    actor: str,
    verified_reason: str = "",
    source: str = "staff",
    received_at: datetime | None = None,
) -> PrivacyRequest:
    """A request staff received by letter, phone or in person: with ``verified_reason`` staff
    saw proof of identity themselves (kept as a note) and no code is mailed; without it the
    person gets a code, as on the public form."""
    reason = verified_reason.strip()
    if reason and data.agent is not None:
        raise InvalidInput(
            "an agent's request is confirmed by the person with a mailed code; staff cannot "
            "mark it verified"
        )
    request = intake.submit(
        session,
        data=data,
        source=source,
        actor=actor,
        verified_by_staff=bool(reason),
        received_at=received_at,
    )
    if reason:
        note = RequestNote(request_id=request.id, author=actor, text=f"verified by staff: {reason}")
        repository.add(session, note)
        audit.record(
            session,
            action="request.note_added",
            actor=actor,
            subject_type=SUBJECT,
            subject_id=request.id,
            data={"note_id": note.id},
        )
    return request
