"""Change notices for material versions: one delivery row per subscriber, sent after commit.

Rows are created in the publishing transaction (unique on version and address), then each is
sent and marked in its own unit of work, so a rerun after a crash sends only what is left.
The one window left is a crash between the SMTP server accepting a message and the commit
marking it sent; that message would go out twice, which we accept over losing it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud import clock
from ombud.config import Settings
from ombud.consent import service as consent
from ombud.db import unit_of_work
from ombud.errors import Unavailable
from ombud.mail import send_mail
from ombud.models.statement import StatementVersion
from ombud.notices import repository
from ombud.notices.feed import diff_path
from ombud.web.render import render

PURPOSE = "privacy_statement_updates"


def subscribers(session: Session) -> list[str]:
    """Addresses whose consent to statement updates is granted now (the consent ledger)."""
    return sorted({e.lower() for e in consent.contactable_emails(session, purpose=PURPOSE)})


def prepare(session: Session, settings: Settings, *, version: StatementVersion) -> int:
    """Create pending deliveries for subscribers who have none for ``version``; return the count."""
    known = repository.delivery_emails(session, version_id=version.id)
    missing = [e for e in subscribers(session) if e not in known]
    return repository.add_deliveries(session, version_id=version.id, emails=missing)


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    error: str = ""


def message(settings: Settings, version: StatementVersion, *, org_name: str) -> dict[str, str]:
    """Subject, text and HTML of the notice for ``version``."""
    base = settings.base_url.rstrip("/")
    ctx = {
        "org_name": org_name,
        "version": version,
        "diff_url": base + diff_path(version),
        "version_url": f"{base}/privacy/statement/versions/{version.number}",
        "preferences_url": f"{base}/privacy/preferences",
    }
    return {
        "subject": f"{org_name}: our privacy statement changes on "
        f"{version.effective_date.isoformat()}",
        "text": render("notices/notice_email.txt", **ctx),
        "html": render("notices/notice_email.html", **ctx),
    }


def deliver(
    settings: Settings, *, version_number: int, org_name: str, engine: Engine | None = None
) -> DeliveryReport:
    """Send every pending notice of a version, committing each as it goes."""
    report = DeliveryReport()
    with unit_of_work(engine) as session:
        version = repository.by_number(session, version_number)
        if version is None:
            return report
        current = set(subscribers(session))
        version_id = version.id
        content = message(settings, version, org_name=org_name)
    failed_ids: list[str] = []
    while True:
        with unit_of_work(engine) as session:
            row = repository.next_pending(session, version_id=version_id, skip=failed_ids)
            if row is None:
                break
            if row.email not in current:
                # Unsubscribed since publishing: they asked not to hear from us.
                row.status = "skipped"
                report.skipped += 1
                continue
            row.attempts += 1
            try:
                row.message_id = send_mail(
                    settings,
                    to=row.email,
                    subject=content["subject"],
                    text=content["text"],
                    html=content["html"],
                )
            except Unavailable as exc:
                row.last_error = exc.message
                failed_ids.append(row.id)
                report.failed += 1
                report.error = exc.message
                continue
            row.status = "sent"
            row.sent_at = clock.utcnow()
            report.sent += 1
    return report
