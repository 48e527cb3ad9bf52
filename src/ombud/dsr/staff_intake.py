"""Requests staff enter themselves: received by letter, phone, in person, or imported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.dsr import intake, repository
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.errors import InvalidInput
from ombud.models.requests import PrivacyRequest, RequestNote

SUBJECT = "privacy_request"


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
