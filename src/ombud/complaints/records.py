"""Record keeping: answered complaints lose their text, address and notes after the period."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.complaints import repository
from ombud.dsr.deadlines import add_months


def cutoff(months: int, now: datetime | None = None) -> datetime:
    """The moment ``months`` calendar months before ``now``."""
    now = now or utcnow()
    return datetime.combine(add_months(now.date(), -months), now.timetz()).astimezone(UTC)


def expired(session: Session, *, months: int) -> int:
    """How many answered complaints are past the period and not yet purged."""
    return repository.count_answered_before(session, cutoff(months))


def purge(session: Session, *, months: int, actor: str = "cli") -> int:
    """Empty the personal data of complaints answered more than ``months`` ago; subject,
    jurisdiction, deadline and dates stay for the metrics."""
    before = cutoff(months)
    rows = repository.answered_before(session, before)
    if not rows:
        return 0
    repository.delete_notes(session, [r.id for r in rows])
    now = utcnow()
    for row in rows:
        row.email = None
        row.name = ""
        row.text = ""
        row.answer = None
        row.purged_at = now
    session.flush()
    audit.record(
        session,
        action="complaint.purged",
        actor=actor,
        subject_type="complaint",
        subject_id="*",
        data={"count": len(rows), "answered_before": before.isoformat(), "months": months},
    )
    return len(rows)
