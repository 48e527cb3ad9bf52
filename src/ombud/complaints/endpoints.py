"""``/api/v1/complaints``: the public complaint intake, and the staff list and actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ombud import ratelimit
from ombud.complaints import schemas, service
from ombud.complaints.web import router as web_router
from ombud.db import DbSession
from ombud.deps import IdPath, OfficerStaff, ViewerStaff
from ombud.models.complaints import Complaint
from ombud.models.staff import ApiToken

router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])


def _actor(token: ApiToken) -> str:
    return token.user.email


def to_schema(row: Complaint) -> schemas.ComplaintOut:
    """A complaint with its overdue flag."""
    out = schemas.ComplaintOut.model_validate(row)
    out.overdue = service.overdue(row)
    return out


def _detail(session: DbSession, row: Complaint) -> schemas.ComplaintDetail:
    out = schemas.ComplaintDetail(**to_schema(row).model_dump())
    out.notes = [schemas.Note.model_validate(n) for n in service.notes(session, row.id)]
    return out


# ---------------------------------------------------------------- public
@router.post("", status_code=201, response_model=schemas.ComplaintReceipt)
def create_complaint(
    body: schemas.ComplaintCreate, request: Request, session: DbSession
) -> schemas.ComplaintReceipt:
    """Make a complaint (public); an acknowledgement with its reference is emailed."""
    ratelimit.check(request, scope="complaint", address=body.email)
    row = service.submit(session, data=body, source="api")
    return schemas.ComplaintReceipt(
        id=row.id,
        reference=row.reference,
        status=row.status,
        due_on=row.due_on,
        message=f"we emailed an acknowledgement with the reference {row.reference}",
    )


@router.get("/purposes", response_model=list[schemas.Purpose])
def list_purposes(session: DbSession) -> list[schemas.Purpose]:
    """The processings a complaint may name (public)."""
    return [schemas.Purpose(key=p.key, label=p.label) for p in service.purposes(session)]


# ---------------------------------------------------------------- staff
@router.get("", response_model=schemas.ComplaintList)
def list_complaints(
    session: DbSession,
    _token: ViewerStaff,
    status: Annotated[str | None, Query(max_length=32, description="open or answered")] = None,
) -> schemas.ComplaintList:
    """Open complaints (or one status), nearest deadline first."""
    rows = service.listing(session, status=status)
    return schemas.ComplaintList(items=[to_schema(r) for r in rows], total=len(rows))


@router.get("/{complaint_id}", response_model=schemas.ComplaintDetail)
def show_complaint(
    complaint_id: IdPath, session: DbSession, _token: ViewerStaff
) -> schemas.ComplaintDetail:
    """One complaint (by id or reference) with its notes."""
    return _detail(session, service.get(session, complaint_id))


@router.post("/{complaint_id}/assign", response_model=schemas.ComplaintDetail)
def assign_complaint(
    complaint_id: IdPath, body: schemas.Assign, session: DbSession, token: OfficerStaff
) -> schemas.ComplaintDetail:
    """Give the complaint to a staff member."""
    row = service.assign(session, complaint_id, actor=_actor(token), assignee=body.assignee)
    return _detail(session, row)


@router.post("/{complaint_id}/notes", status_code=201, response_model=schemas.Note)
def add_note(
    complaint_id: IdPath, body: schemas.NoteCreate, session: DbSession, token: OfficerStaff
) -> schemas.Note:
    """Keep an internal note with the complaint."""
    note = service.add_note(session, complaint_id, actor=_actor(token), text=body.text)
    return schemas.Note.model_validate(note)


@router.post("/{complaint_id}/answer", response_model=schemas.ComplaintDetail)
def answer_complaint(
    complaint_id: IdPath, body: schemas.Answer, session: DbSession, token: OfficerStaff
) -> schemas.ComplaintDetail:
    """Answer the complaint by letter (it names the supervisory authority)."""
    row = service.answer(session, complaint_id, actor=_actor(token), text=body.text)
    return _detail(session, row)


routers = [router, web_router]
