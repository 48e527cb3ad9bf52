"""All SQL of the mail outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from ombud.models.base import new_id
from ombud.models.mail import OutboxMail


def add(session: Session, row: OutboxMail) -> OutboxMail:
    """Queue one message (sent after the commit); written with the transaction's next
    flush, together with whatever else it changes."""
    if row.id is None:
        row.id = new_id()  # known now: the caller names the message before any flush
    session.add(row)
    return row


def claim(
    session: Session,
    *,
    now: datetime,
    stale_before: datetime,
    worker: str,
    ids: Sequence[str] | None = None,
    limit: int = 100,
) -> list[OutboxMail]:
    """Take due messages for ``worker``: pending ones, and ones whose sender died mid-send.

    PostgreSQL skips rows another sender has locked; SQLite's BEGIN IMMEDIATE (see
    ``ombud.db``) already lets one writer in at a time."""
    due = or_(
        and_(OutboxMail.status == "pending", OutboxMail.next_attempt_at <= now),
        and_(OutboxMail.status == "sending", OutboxMail.claimed_at < stale_before),
    )
    stmt = select(OutboxMail).where(due)
    if ids is not None:
        stmt = stmt.where(OutboxMail.id.in_(list(ids)))
    stmt = stmt.order_by(OutboxMail.created_at, OutboxMail.id).limit(limit)
    rows = list(session.scalars(stmt.with_for_update(skip_locked=True)))
    for row in rows:
        row.status, row.claimed_by, row.claimed_at = "sending", worker, now
        row.attempts += 1
    session.flush()
    return rows


def mark_sent(session: Session, mail_ids: Sequence[str], *, at: datetime) -> int:
    """Mark claimed messages sent and wipe their bodies, in one statement; how many were
    still there."""
    stmt = (
        update(OutboxMail)
        .where(OutboxMail.id.in_(list(mail_ids)))
        .values(status="sent", sent_at=at, body=None, last_error=None, claimed_by=None)
    )
    return cast(CursorResult[Any], session.execute(stmt)).rowcount


def get(session: Session, mail_id: str, *, lock: bool = False) -> OutboxMail | None:
    """One queued message."""
    stmt = select(OutboxMail).where(OutboxMail.id == mail_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def counts(session: Session) -> dict[str, int]:
    """{status: number of messages}."""
    stmt = select(OutboxMail.status, func.count()).group_by(OutboxMail.status)
    return {str(status): int(n) for status, n in session.execute(stmt)}


def failed(session: Session, *, limit: int = 50) -> list[OutboxMail]:
    """Messages given up on, newest first."""
    stmt = (
        select(OutboxMail)
        .where(OutboxMail.status == "failed")
        .order_by(OutboxMail.created_at.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def _done_before(cutoff: datetime) -> ColumnElement[bool]:
    """Sent or failed mail older than ``cutoff`` (by when it was sent, else queued)."""
    done = OutboxMail.status.in_(("sent", "failed"))
    return and_(done, func.coalesce(OutboxMail.sent_at, OutboxMail.created_at) < cutoff)


def count_done_before(session: Session, cutoff: datetime) -> int:
    """Sent or failed mail older than ``cutoff`` (retention rule ``ombud.mail``)."""
    stmt = select(func.count()).select_from(OutboxMail).where(_done_before(cutoff))
    return int(session.scalar(stmt) or 0)


def delete_done_before(session: Session, cutoff: datetime) -> int:
    """Forget that mail (its address and subject; the letters stay with their request)."""
    result = session.execute(delete(OutboxMail).where(_done_before(cutoff)))
    return int(getattr(result, "rowcount", 0) or 0)
