"""Background work on manual tasks: remind owners before the deadline, tell the privacy
officers about overdue ones. Called from housekeeping; each mail goes out once (the task
keeps when it was sent), and rows are claimed so two processes never send the same one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.manual import repository, service
from ombud.models.staff import Role
from ombud.outbox import service as outbox
from ombud.staff import repository as staff_repository
from ombud.web.render import render


@dataclass
class Report:
    """What one round sent."""

    reminded: int = 0
    escalated: int = 0


def remind(engine: Engine | None, settings: Settings) -> Report:
    """Send due reminders and escalations; idempotent."""
    report = Report()
    now = utcnow()
    today = now.date()
    with unit_of_work(engine) as session:
        due_by = today + timedelta(days=settings.manual_reminder_days)
        for task in repository.to_remind(session, due_by=due_by):
            service.mail_owner(session, settings, task, kind="reminder")
            task.reminded_at = now
            report.reminded += 1
        overdue = list(repository.to_escalate(session, today=today))
        if overdue:
            officers = [
                u.email
                for u in staff_repository.list_users(session)
                if u.active and u.role in (Role.privacy_officer, Role.admin)
            ]
            text = render("manual/escalation_email.txt", tasks=overdue)
            subject = f"{len(overdue)} manual task{'s' if len(overdue) != 1 else ''} overdue"
            for address in officers:
                outbox.enqueue(session, settings, to=address, subject=subject, text=text)
            for task in overdue:
                # Marked even without officers to tell: the audit shows who was told, if anyone.
                task.escalated_at = now
                service.audit_escalated(session, task, notified=len(officers))
            report.escalated = len(overdue)
    return report
