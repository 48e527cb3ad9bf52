"""All SQL of complaints."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ombud.models.complaints import Complaint, ComplaintNote
from ombud.models.complaints import ComplaintStatus as S


def add(session: Session, obj: Complaint | ComplaintNote) -> None:
    """Insert a row."""
    session.add(obj)
    session.flush()


def get(session: Session, complaint_id: str, *, lock: bool = False) -> Complaint | None:
    """The complaint with this id or reference (``C-...``), or None."""
    if complaint_id.upper().startswith("C-"):
        stmt = select(Complaint).where(Complaint.reference == complaint_id.upper())
    else:
        stmt = select(Complaint).where(Complaint.id == complaint_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def listing(session: Session, *, statuses: Sequence[str]) -> list[Complaint]:
    """Complaints in these statuses, nearest deadline first."""
    stmt = (
        select(Complaint)
        .where(Complaint.status.in_(statuses))
        .order_by(Complaint.due_on, Complaint.received_at)
    )
    return list(session.scalars(stmt))


def notes(session: Session, complaint_id: str) -> list[ComplaintNote]:
    """Staff notes of a complaint, oldest first."""
    stmt = (
        select(ComplaintNote)
        .where(ComplaintNote.complaint_id == complaint_id)
        .order_by(ComplaintNote.created_at)
    )
    return list(session.scalars(stmt))


def counts(session: Session, *, today: date) -> dict[str, int]:
    """Totals for metrics: received, open, overdue, answered, answered late."""
    open_ = Complaint.status == S.open.value
    answered = Complaint.status == S.answered.value
    row = session.execute(
        select(
            func.count(),
            func.count().filter(open_),
            func.count().filter(open_, Complaint.due_on < today),
            func.count().filter(answered),
        ).select_from(Complaint)
    ).one()
    # Late or not is compared in Python: date arithmetic differs between the stores.
    answered_rows = session.execute(
        select(Complaint.answered_at, Complaint.due_on).where(answered)
    ).all()
    answered_late = sum(1 for at, due in answered_rows if at is not None and at.date() > due)
    return {
        "received": int(row[0]),
        "open": int(row[1]),
        "overdue": int(row[2]),
        "answered": int(row[3]),
        "answered_late": answered_late,
    }


def by_about(session: Session) -> dict[str, int]:
    """How many complaints are about requests, processings and in general."""
    stmt = select(Complaint.about, func.count()).group_by(Complaint.about)
    return {str(k): int(n) for k, n in session.execute(stmt).all()}


def answered_before(session: Session, cutoff: datetime) -> list[Complaint]:
    """Answered complaints not yet purged whose answer is older than ``cutoff``."""
    stmt = select(Complaint).where(
        Complaint.status == S.answered.value,
        Complaint.answered_at < cutoff,
        Complaint.purged_at.is_(None),
    )
    return list(session.scalars(stmt))


def count_answered_before(session: Session, cutoff: datetime) -> int:
    """How many complaints ``answered_before`` would return."""
    stmt = (
        select(func.count())
        .select_from(Complaint)
        .where(
            Complaint.status == S.answered.value,
            Complaint.answered_at < cutoff,
            Complaint.purged_at.is_(None),
        )
    )
    return int(session.scalar(stmt) or 0)


def delete_notes(session: Session, complaint_ids: Sequence[str]) -> int:
    """Delete the staff notes of these complaints."""
    if not complaint_ids:
        return 0
    result = session.execute(
        delete(ComplaintNote).where(ComplaintNote.complaint_id.in_(list(complaint_ids)))
    )
    return int(getattr(result, "rowcount", 0) or 0)
