"""The daily digest: requests due within a week and overdue ones, mailed once a day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.dsr import service as dsr_service
from ombud.dsr.service import QueueItem
from ombud.models.notify import DigestDay
from ombud.notify import repository
from ombud.notify.service import console_url, officers
from ombud.outbox import service as outbox

DIGEST_DAYS = 7


def send_digest(
    engine: Engine | None, settings: Settings, *, day: date | None = None
) -> int | None:
    """Send today's digest unless it went out already; the number of staff mailed, or None
    when this day's digest was sent before (by this or another process)."""
    today = day or utcnow().date()
    try:
        with unit_of_work(engine) as session:
            if repository.digest_day(session, today) is not None:
                return None
            row = DigestDay(day=today, sent_at=utcnow(), recipients=0)
            repository.add_digest_day(session, row)
            row.recipients = _queue_digest(session, settings, today)
            return row.recipients
    except IntegrityError:  # another worker claimed the day between our check and insert
        return None


def _queue_digest(session: Session, settings: Settings, today: date) -> int:
    items = [
        i for i in dsr_service.queue(session, due_soon_days=DIGEST_DAYS) if i.overdue or i.due_soon
    ]
    if not items:
        return 0
    users = officers(session)
    assignees = {
        u.id: u.email
        for u in repository.users_by_ids(
            session, sorted({i.request.assignee_id for i in items if i.request.assignee_id})
        )
    }
    overdue = [i for i in items if i.overdue]
    soon = [i for i in items if not i.overdue]
    lines = [f"Requests needing attention on {today:%Y-%m-%d}:", ""]
    for title, group in (("Overdue", overdue), (f"Due within {DIGEST_DAYS} days", soon)):
        if group:
            lines += [f"{title} ({len(group)}):", *(_line(i, today, assignees) for i in group), ""]
    lines += [
        f"Queue: {console_url('/')}",
        "",
        "Turn this mail off with `ombud users notifications EMAIL --off` or in the console.",
    ]
    text = "\n".join(lines) + "\n"
    subject = f"Privacy requests: {len(overdue)} overdue, {len(soon)} due within {DIGEST_DAYS} days"
    for user in users:
        outbox.enqueue(session, settings, to=user.email, subject=subject, text=text)
    return len(users)


def _line(item: QueueItem, today: date, assignees: dict[str, str]) -> str:
    r = item.request
    assert item.deadline is not None
    days = (item.deadline - today).days
    when = f"{-days} day(s) overdue" if days < 0 else f"due in {days} day(s)"
    who = assignees.get(r.assignee_id or "", "unassigned")
    return f"  {r.id}  {r.type:<16} {r.status:<22} {item.deadline}  {when}  {who}"
