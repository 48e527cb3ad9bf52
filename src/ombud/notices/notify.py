"""Change notices for material versions: one delivery row per subscriber (and, when the data
map says so, per person in the affected collections, see ``audience.py``), sent after commit,
each with a one-click List-Unsubscribe header.

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
from ombud.consent import ledger
from ombud.consent import service as consent
from ombud.consent.preferences import unsubscribe_headers
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.errors import NotFound, Unavailable
from ombud.mail import send_mail
from ombud.models.statement import StatementVersion
from ombud.notices import repository
from ombud.notices.audience import PURPOSE, affected, suppressed_hashes
from ombud.notices.feed import diff_path
from ombud.web.render import render


def subscribers(session: Session) -> list[str]:
    """Addresses whose consent to statement updates is granted now (the consent ledger)."""
    return sorted({e.lower() for e in consent.contactable_emails(session, purpose=PURPOSE)})


def _datamap(session: Session) -> DataMap | None:
    try:
        return datamap_service.get_current(session)
    except NotFound:
        return None


def _to_everyone_affected(datamap: DataMap | None) -> bool:
    return datamap is not None and datamap.organization.notifications.affected_people


def audience(session: Session) -> list[str]:
    """Subscribers, and, when the data map says so, everyone in the affected collections."""
    emails = set(subscribers(session))
    datamap = _datamap(session)
    if datamap is not None and _to_everyone_affected(datamap):
        emails |= set(affected(session, datamap))
    return sorted(emails)


def prepare(session: Session, settings: Settings, *, version: StatementVersion) -> int:
    """Create pending deliveries for everyone to tell who has none for ``version``; the count."""
    known = repository.delivery_emails(session, version_id=version.id)
    missing = [e for e in audience(session) if e not in known]
    return repository.add_deliveries(session, version_id=version.id, emails=missing)


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    error: str = ""


def message(
    settings: Settings, version: StatementVersion, *, org_name: str, everyone: bool = False
) -> dict[str, str]:
    """Subject, text and HTML of the notice for ``version`` (``everyone``: sent to people whose
    data we hold, not only to subscribers, which the letter says)."""
    base = settings.base_url.rstrip("/")
    ctx = {
        "everyone": everyone,
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
        datamap = _datamap(session)
        everyone = _to_everyone_affected(datamap)
        current = set(subscribers(session))
        blocked = suppressed_hashes(session, datamap) if datamap is not None else set()
        one_click = datamap is not None and any(
            s.fides_key == PURPOSE for s in datamap.subscription
        )
        version_id = version.id
        content = message(settings, version, org_name=org_name, everyone=everyone)
    failed_ids: list[str] = []
    while True:
        with unit_of_work(engine) as session:
            row = repository.next_pending(session, version_id=version_id, skip=failed_ids)
            if row is None:
                break
            opted_out = ledger.email_subject(row.email).hash in blocked
            if opted_out or (not everyone and row.email not in current):
                # Unsubscribed (or erased) since publishing: they asked not to hear from us.
                row.status = "skipped"
                report.skipped += 1
                continue
            row.attempts += 1
            headers = (
                unsubscribe_headers(email=row.email, purpose=PURPOSE, settings=settings)
                if one_click
                else None
            )
            try:
                row.message_id = send_mail(
                    settings,
                    to=row.email,
                    subject=content["subject"],
                    text=content["text"],
                    html=content["html"],
                    headers=headers,
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
