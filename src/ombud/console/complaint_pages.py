"""``/staff/complaints``: the complaints with filters, one complaint with its timeline, and
assign, note and answer (the letter shown before it is sent), through the complaints service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.complaints import letters, service
from ombud.complaints.schemas import ANSWER_LIMIT
from ombud.console.web import ConsoleIdentity, attempt, page
from ombud.db import DbSession
from ombud.deps import ConsoleOfficer, ConsoleUser, IdPath
from ombud.dsr import letters as dsr_letters
from ombud.dsr import wording
from ombud.errors import InvalidInput
from ombud.models.complaints import Complaint
from ombud.models.complaints import ComplaintStatus as S
from ombud.staff import service as staff_service
from ombud.web.render import render

router = APIRouter(prefix="/staff/complaints", include_in_schema=False)

STATUSES = ("open", "answered", "all")
DONE = {
    "assign": "Assignment saved.",
    "note": "Note added.",
    "answer": "Answered. The letter was sent.",
}
LABELS = {
    "complaint.received": "Received",
    "complaint.letter_queued": "Letter sent",
    "complaint.assigned": "Assigned",
    "complaint.note_added": "Note added",
    "complaint.answered": "Answered",
}
Text = Annotated[str, Form(max_length=ANSWER_LIMIT)]


@dataclass(frozen=True)
class Event:
    """One line of a complaint's timeline."""

    at: datetime
    title: str
    actor: str
    text: str = ""


def timeline(session: Session, complaint: Complaint) -> list[Event]:
    """Audit entries and notes of a complaint, oldest first (letters by kind, not text)."""
    events = [
        Event(n.created_at, "Note", n.author, n.text) for n in service.notes(session, complaint.id)
    ]
    for entry in audit.for_subject(session, subject_type=service.SUBJECT, subject_id=complaint.id):
        if entry.action == "complaint.note_added":
            continue  # the note itself is shown
        title = LABELS.get(entry.action, entry.action)
        if entry.action == "complaint.letter_queued":
            title += f": {str(entry.data.get('kind', '')).replace('_', ' ')}"
        if entry.action == "complaint.assigned":
            title += f" to {entry.data.get('assignee')}"
        events.append(Event(entry.at, title, entry.actor))
    return sorted(events, key=lambda e: e.at)


def answer_letter(session: Session, complaint: Complaint, text: str) -> str:
    """The answer letter as ``complaints.letters.send`` renders it, to read before sending."""
    lang = letters.language(session, complaint)
    authority, disputes = letters.bodies(session, complaint)
    return render(
        dsr_letters.template_for("complaint_answer", lang),
        org=dsr_letters.organization(session),
        complaint=complaint,
        authority=authority,
        disputes=disputes,
        when=lambda value: wording.when(value, lang),
        base_url=config.get_settings().base_url.rstrip("/"),
        answer=text.strip(),
    )


@router.get("", response_class=HTMLResponse)
def complaints_page(
    session: DbSession,
    me: ConsoleUser,
    status: Annotated[str, Query(max_length=20)] = "open",
    overdue: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    """Complaints in a status (open by default), nearest deadline first; optionally overdue."""
    if status not in STATUSES:
        raise InvalidInput(f"status: use one of {', '.join(STATUSES)}, not {status[:20]!r}")
    wanted = [S.open.value, S.answered.value] if status == "all" else [status]
    rows = [r for s in wanted for r in service.listing(session, status=s)]
    today = utcnow().date()
    if overdue:
        rows = [r for r in rows if service.overdue(r, today)]
    return page(
        me,
        "staff/complaints.html",
        title="Complaints",
        current="/staff/complaints",
        rows=rows,
        chosen=status,
        overdue_only=bool(overdue),
        statuses=STATUSES,
        is_overdue=lambda r: service.overdue(r, today),
        today=today,
        counts=service.metrics(session),
    )


def render_complaint(
    session: Session,
    me: ConsoleIdentity,
    complaint_id: str,
    *,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    """The complaint page (with an outcome, an error or a letter preview)."""
    complaint = service.get(session, complaint_id)
    today = utcnow().date()
    return page(
        me,
        "staff/complaint.html",
        title=f"Complaint {complaint.reference}",
        current="/staff/complaints",
        status=status,
        c=complaint,
        overdue=service.overdue(complaint, today),
        days_left=(complaint.due_on - today).days,
        events=timeline(session, complaint),
        staff=[u for u in staff_service.list_users(session) if u.active],
        **extra,
    )


@router.get("/{complaint_id}", response_class=HTMLResponse)
def complaint_page(
    session: DbSession, me: ConsoleUser, complaint_id: IdPath, done: str = ""
) -> HTMLResponse:
    """One complaint (by id or reference) with its timeline and, for officers, the actions."""
    return render_complaint(session, me, complaint_id, done=DONE.get(done, ""))


def _act(
    session: Session, me: ConsoleIdentity, complaint_id: str, done: str, work: Callable[[], Any]
) -> Response:
    """Run one action; back to the page with its outcome, or the page with the error."""
    return attempt(
        session,
        work,
        done_url=f"/staff/complaints/{complaint_id}?done={done}",
        on_error=lambda exc: render_complaint(
            session, me, complaint_id, status=exc.status, error=exc.message
        ),
    )


@router.post("/{complaint_id}/assign")
def assign(
    session: DbSession,
    me: ConsoleOfficer,
    complaint_id: IdPath,
    assignee: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """Give the complaint to a staff member."""
    return _act(
        session,
        me,
        complaint_id,
        "assign",
        lambda: service.assign(session, complaint_id, actor=me.email, assignee=assignee),
    )


@router.post("/{complaint_id}/notes")
def add_note(
    session: DbSession, me: ConsoleOfficer, complaint_id: IdPath, text: Text = ""
) -> Response:
    """Keep an internal note with the complaint."""
    return _act(
        session,
        me,
        complaint_id,
        "note",
        lambda: service.add_note(session, complaint_id, actor=me.email, text=text),
    )


@router.post("/{complaint_id}/answer/letter", response_class=HTMLResponse)
def preview_answer(
    session: DbSession, me: ConsoleOfficer, complaint_id: IdPath, text: Text = ""
) -> HTMLResponse:
    """The answer letter as it would be sent, to read before sending."""
    complaint = service.get(session, complaint_id)
    if not text.strip():
        error = "answer: write the answer first; the letter is shown before it is sent"
        return render_complaint(session, me, complaint_id, status=422, error=error)
    if complaint.status != S.open.value:
        error = f"complaint {complaint.reference} was already answered"
        return render_complaint(session, me, complaint_id, status=409, error=error)
    letter = answer_letter(session, complaint, text)
    return render_complaint(session, me, complaint_id, letter={"text": letter, "answer": text})


@router.post("/{complaint_id}/answer")
def answer(
    session: DbSession, me: ConsoleOfficer, complaint_id: IdPath, text: Text = ""
) -> Response:
    """Answer by letter (the one shown in the preview)."""
    return _act(
        session,
        me,
        complaint_id,
        "answer",
        lambda: service.answer(session, complaint_id, actor=me.email, text=text),
    )
