"""Complaint use cases: receive (public), list, show, assign, note, answer (staff), metrics."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.complaints import letters, repository
from ombud.complaints.schemas import ComplaintCreate
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.dsr import jurisdictions
from ombud.dsr import repository as dsr_repository
from ombud.dsr.deadlines import add_period
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.models.complaints import Complaint, ComplaintNote
from ombud.models.complaints import ComplaintAbout as About
from ombud.models.complaints import ComplaintStatus as S
from ombud.staff import repository as staff_repository

SUBJECT = "complaint"
# No 0/O or 1/I/L: people read references out on the phone.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class FieldError(InvalidInput):
    """Bad input in one named field of a complaint; the message names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            f"{field}: {message}",
            detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}],
        )
        self.field = field


def new_reference() -> str:
    """``C-`` and 8 random characters, e.g. ``C-7KQ2M9XH``."""
    return "C-" + "".join(secrets.choice(_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class Purpose:
    """A processing a complaint may name: a data use of the data map, with its label."""

    key: str
    label: str


def datamap_or_none(session: Session) -> DataMap | None:
    """The data map in force, or None before one is applied."""
    try:
        return datamap_service.get_current(session)
    except NotFound:
        return None


def purposes(session: Session) -> list[Purpose]:
    """The processings of the data map in force: each data use once, labelled by its first
    declaration's name (none without a data map)."""
    try:
        datamap = datamap_service.get_current(session)
    except NotFound:
        return []
    seen: dict[str, str] = {}
    for system in datamap.system:
        for decl in system.privacy_declarations:
            seen.setdefault(decl.data_use, decl.name or decl.data_use)
    return [Purpose(k, v) for k, v in sorted(seen.items(), key=lambda kv: kv[1].lower())]


def _jurisdiction(session: Session, data: ComplaintCreate, request_juris: str | None) -> str:
    rules = jurisdictions.load(session)
    if request_juris is not None and request_juris in rules:
        return request_juris
    if data.jurisdiction:
        try:
            return jurisdictions.get(rules, data.jurisdiction).key
        except InvalidInput as exc:
            raise FieldError("jurisdiction", exc.message) from None
    return jurisdictions.infer(rules, country=data.country)


def submit(
    session: Session, *, data: ComplaintCreate, source: str, actor: str = "public"
) -> Complaint:
    """Record a complaint, set its deadline and queue the acknowledgement with its reference."""
    request_id: str | None = None
    request_juris: str | None = None
    purpose: str | None = None
    if data.about is About.request:
        ref = (data.request or "").strip()
        found = dsr_repository.get(session, ref)
        if found is None:
            raise FieldError("request", f"no privacy request with reference {ref!r}")
        request_id, request_juris = found.id, found.jurisdiction
    elif data.about is About.processing:
        purpose = (data.purpose or "").strip()
        known = [p.key for p in purposes(session)]
        if purpose not in known:
            listed = ", ".join(known) or "none (no data map is applied)"
            raise FieldError("purpose", f"unknown purpose {purpose!r}; use one of: {listed}")
    juris_key = _jurisdiction(session, data, request_juris)
    juris = jurisdictions.load(session)[juris_key]
    now = utcnow()
    complaint = Complaint(
        reference=new_reference(),
        status=S.open.value,
        about=data.about.value,
        request_id=request_id,
        purpose=purpose,
        jurisdiction=juris_key,
        language=data.language,
        email=data.email,
        name=data.name.strip(),
        text=data.text,
        source=source,
        received_at=now,
        received_on=now.date(),
        due_on=add_period(now.date(), juris.complaint_deadline),
    )
    repository.add(session, complaint)
    # What it is about and when it is due; never the person's text or address.
    audit.record(
        session,
        action="complaint.received",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=complaint.id,
        data={
            "reference": complaint.reference,
            "about": complaint.about,
            "request_id": request_id,
            "purpose": purpose,
            "jurisdiction": juris_key,
            "source": source,
            "due_on": complaint.due_on,
        },
    )
    letters.send(session, complaint, "complaint_acknowledgement", actor=actor)
    complaint.acknowledged_at = utcnow()
    session.flush()
    return complaint


def get(session: Session, complaint_id: str, *, lock: bool = False) -> Complaint:
    """The complaint with this id or reference, or ``NotFound``."""
    found = repository.get(session, complaint_id, lock=lock)
    if found is None:
        raise NotFound(f"no complaint with id or reference {complaint_id}")
    return found


def overdue(complaint: Complaint, today: date | None = None) -> bool:
    """Open past its deadline."""
    return complaint.status == S.open.value and (today or utcnow().date()) > complaint.due_on


def listing(session: Session, *, status: str | None = None) -> list[Complaint]:
    """Open complaints (or those in ``status``), nearest deadline first."""
    if status is None:
        return repository.listing(session, statuses=[S.open.value])
    try:
        return repository.listing(session, statuses=[S(status).value])
    except ValueError:
        known = ", ".join(s.value for s in S)
        raise InvalidInput(f"status: unknown status {status!r}; use one of: {known}") from None


def notes(session: Session, complaint_id: str) -> list[ComplaintNote]:
    """Staff notes on a complaint."""
    return repository.notes(session, get(session, complaint_id).id)


def assign(session: Session, complaint_id: str, *, actor: str, assignee: str) -> Complaint:
    """Give the complaint to a staff member (an existing staff account)."""
    email = assignee.strip().lower()
    if staff_repository.get_user_by_email(session, email) is None:
        raise FieldError("assignee", f"no staff member with email {email!r}")
    complaint = get(session, complaint_id, lock=True)
    if complaint.status != S.open.value:
        raise Conflict(f"complaint {complaint.reference} is {complaint.status}; it cannot move")
    complaint.assignee, complaint.assigned_at = email, utcnow()
    session.flush()
    audit.record(
        session,
        action="complaint.assigned",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=complaint.id,
        data={"assignee": email},
    )
    return complaint


def add_note(session: Session, complaint_id: str, *, actor: str, text: str) -> ComplaintNote:
    """Keep an internal note with the complaint."""
    text = (text or "").strip()
    if not text:
        raise FieldError("text", "write the note")
    complaint = get(session, complaint_id)
    note = ComplaintNote(complaint_id=complaint.id, author=actor, text=text)
    repository.add(session, note)
    audit.record(
        session,
        action="complaint.note_added",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=complaint.id,
        data={"note_id": note.id},
    )
    return note


def answer(session: Session, complaint_id: str, *, actor: str, text: str) -> Complaint:
    """Answer the complaint by letter; the letter repeats the right to complain to the
    supervisory authority and names any dispute-resolution body of the jurisdiction."""
    text = (text or "").strip()
    if not text:
        raise FieldError("text", "write the answer")
    complaint = get(session, complaint_id, lock=True)
    if complaint.status != S.open.value:
        raise Conflict(f"complaint {complaint.reference} was already answered")
    now = utcnow()
    complaint.answer, complaint.answered_by, complaint.answered_at = text, actor, now
    complaint.status = S.answered.value
    session.flush()
    letters.send(session, complaint, "complaint_answer", actor=actor, answer=text)
    audit.record(
        session,
        action="complaint.answered",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=complaint.id,
        data={"due_on": complaint.due_on, "on_time": now.date() <= complaint.due_on},
    )
    return complaint


def metrics(session: Session) -> dict[str, object]:
    """Counts for staff: received, open, overdue, answered (and late), per subject."""
    out: dict[str, object] = dict(repository.counts(session, today=utcnow().date()))
    out["by_about"] = {a.value: 0 for a in About} | repository.by_about(session)
    return out
