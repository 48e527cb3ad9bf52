"""Queue mail in the caller's transaction; send it once that transaction has committed.

A rolled-back transaction leaves no row, so nothing is sent. A process that dies after the
commit leaves the row ``pending``: the next drain (after-commit hook, a worker's message, the
"housekeeping" periodic job or ``ombud mail send``) sends it. A sender that dies mid-send
leaves it ``sending``; after ``LEASE`` another sender sends it again with the same Message-ID
(SMTP cannot make a send and a commit atomic, so that narrow window is the only way a letter
goes out twice)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud import mail
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import after_commit_all, unit_of_work
from ombud.errors import OmbudError
from ombud.models.mail import OutboxMail
from ombud.outbox import repository, sender
from ombud.phases import phase

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
# Most messages one claim takes; sent ones are recorded every RECORD_EVERY, so a sender that
# dies mid-batch sends at most that many again after the lease.
CLAIM_MAX = 500
RECORD_EVERY = 20
MAX_ATTEMPTS = 8
# Waits after the 1st, 2nd, ... failed attempt; the last one repeats.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)

Stage = Callable[[], AbstractContextManager[Session]]


@dataclass
class Report:
    """What one drain did."""

    sent: int = 0
    retry: int = 0
    failed: int = 0

    def add(self, other: Report) -> None:
        """Count ``other``'s outcomes in this report too."""
        self.sent += other.sent
        self.retry += other.retry
        self.failed += other.failed


def enqueue(
    session: Session,
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    headers: dict[str, str] | None = None,
) -> OutboxMail:
    """Queue a message in ``session``'s transaction; it is sent after that commits."""
    # The id the message will carry when it is built for sending (not built twice).
    message_id = make_msgid(domain=settings.mail_sender.rsplit("@", 1)[-1])
    row = repository.add(
        session,
        OutboxMail(
            to=to,
            subject=subject,
            body=text,
            headers=dict(headers or {}),
            message_id=message_id,
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
        ),
    )
    # Every letter of the transaction leaves together after the commit: one claim, one
    # connection, one update per chunk, however many requests a batch completed.
    if settings.broker_url:
        # Workers send it (claimed row, retries with backoff); the API does not wait on SMTP.
        from ombud.workers.dispatch import send_mail

        after_commit_all(session, "mail", row.id, lambda ids: send_mail(settings, ids))
    else:
        after_commit_all(
            session, "mail", row.id, lambda ids: _send_committed(session, settings, ids)
        )
    return row


def _send_committed(session: Session, settings: Settings, mail_ids: list[str]) -> None:
    """After-commit hook: send the messages now, in this process (or hand them to the
    runner's sender thread)."""
    handed = sender.current()
    if handed is not None:
        handed.submit(mail_ids)
        return
    try:
        with phase("mail", len(mail_ids)):
            deliver_ids(lambda: _reuse(session), settings, mail_ids)
    except Exception:  # committed work must not fail now; the queue keeps the letters
        log.exception("sending queued mail failed; it stays queued for the next drain")


@contextmanager
def _reuse(session: Session) -> Iterator[Session]:
    """The committed session again, for one more transaction of its own."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def deliver_ids(stage: Stage, settings: Settings, mail_ids: list[str]) -> Report:
    """Send these messages (those still due), ``CLAIM_MAX`` per claim."""
    total = Report()
    for i in range(0, len(mail_ids), CLAIM_MAX):
        chunk = mail_ids[i : i + CLAIM_MAX]
        report = deliver(stage, settings, ids=chunk, limit=len(chunk))
        total.add(report)
    return total


def drain(engine: Engine | None, settings: Settings, *, limit: int = 100) -> Report:
    """Send every due message, ``limit`` at a time (CLI, background loop)."""
    total = Report()
    while True:
        report = deliver(lambda: unit_of_work(engine), settings, limit=limit)
        total.add(report)
        if report.sent + report.retry + report.failed < limit:
            return total


def deliver(
    stage: Stage, settings: Settings, *, ids: Sequence[str] | None = None, limit: int = 100
) -> Report:
    """Claim due messages (committed), send each, record the outcome (committed)."""
    report = Report()
    if ids is not None and not ids:
        return report
    now = utcnow()
    with stage() as session:
        rows = repository.claim(
            session,
            now=now,
            stale_before=now - LEASE,
            worker=f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}",
            ids=ids,
            limit=limit,
        )
        if ids is not None:
            # In the order they were queued: a letter never overtakes an earlier one.
            order = {mail_id: i for i, mail_id in enumerate(ids)}
            rows.sort(key=lambda r: order.get(r.id, len(order)))
        claimed = [(r.id, _message(settings, r)) for r in rows]
    sent: list[str] = []
    with mail.connection(settings) as send:
        for mail_id, message in claimed:
            try:
                send(message)
            except OmbudError as exc:
                _failed(stage, report, mail_id, exc.message)
                continue
            except OSError as exc:  # the outbox folder cannot be written
                error = f"cannot write mail into {settings.mail_outbox}: {exc}"
                _failed(stage, report, mail_id, error)
                continue
            sent.append(mail_id)
            if len(sent) >= RECORD_EVERY:
                _sent(stage, report, sent)
        _sent(stage, report, sent)
    return report


def _sent(stage: Stage, report: Report, mail_ids: list[str]) -> None:
    """Record sent messages (body wiped) in one statement, and empty the list."""
    if not mail_ids:
        return
    with stage() as session:
        n = repository.mark_sent(session, mail_ids, at=utcnow())
    report.sent += n
    report.failed += len(mail_ids) - n  # deleted meanwhile (purged)
    mail_ids.clear()


def _failed(stage: Stage, report: Report, mail_id: str, error: str) -> None:
    with stage() as session:
        outcome = _record(session, mail_id, error)
    setattr(report, outcome, getattr(report, outcome) + 1)


def _message(settings: Settings, row: repository.Claimed) -> EmailMessage:
    return mail.build_message(
        settings,
        to=row.to,
        subject=row.subject,
        text=row.body or "",
        headers=row.headers,
        message_id=row.message_id,
    )


def _record(session: Session, mail_id: str, error: str) -> str:
    """Mark a message that could not be sent due again later, or failed; return which (sent
    ones are recorded together by ``_sent``)."""
    row = repository.get(session, mail_id, lock=True)
    if row is None:
        return "failed"
    now = utcnow()
    row.claimed_by = None
    row.last_error = error[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        log.error("giving up on mail %s to %s: %s", row.id, "[recipient]", error)
        return "failed"
    row.status = "pending"
    row.next_attempt_at = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
    log.warning("mail %s not sent (attempt %d), will retry: %s", row.id, row.attempts, error)
    return "retry"


def status(session: Session) -> dict[str, int]:
    """{status: count} of the queue."""
    return repository.counts(session)
