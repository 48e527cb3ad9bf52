"""What the staff dashboard shows: open requests by status, deadlines, requests per month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.dsr import records, repository, workflow
from ombud.dsr.deadlines import add_months
from ombud.dsr.queue import UNVERIFIED
from ombud.dsr.service import QueueItem, flags


@dataclass(frozen=True)
class Overview:
    """The dashboard's figures."""

    by_status: dict[str, int]
    unverified: int
    overdue: list[QueueItem]
    due_this_week: list[QueueItem]
    metrics: list[records.TypeMetrics]
    year: int
    # (first day of the month, requests received in it), oldest first.
    per_month: list[tuple[date, int]]


def overview(session: Session, *, months: int = 12) -> Overview:
    """Open work, deadlines, this year's metrics and requests received per month."""
    now = utcnow()
    today = now.date()
    counts = repository.count_by_status(session)
    open_ = [s.value for s in workflow.OPEN]
    items = [flags(r) for r in repository.open_deadlines(session, statuses=open_)]
    # The person never confirmed: no deadline runs for the company yet.
    items = [i for i in items if i.request.verified_at is not None]
    overdue = sorted((i for i in items if i.overdue), key=lambda i: i.deadline or today)
    week_end = today + timedelta(days=7)
    due = [i for i in items if not i.overdue and i.deadline and today <= i.deadline <= week_end]
    first = add_months(today.replace(day=1), -(months - 1))
    received = repository.received_between(
        session, datetime.combine(first, datetime.min.time(), tzinfo=UTC), now + timedelta(1)
    )
    starts = [add_months(first, n) for n in range(months)]
    per_month = [
        (start, sum(1 for r in received if r.received_on.replace(day=1) == start))
        for start in starts
    ]
    return Overview(
        by_status={s: counts[s] for s in open_ if counts.get(s)},
        unverified=sum(counts.get(s.value, 0) for s in UNVERIFIED),
        overdue=overdue,
        due_this_week=sorted(due, key=lambda i: i.deadline or today),
        metrics=records.metrics(session, year=today.year),
        year=today.year,
        per_month=per_month,
    )
