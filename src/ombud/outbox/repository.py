"""All SQL of the mail outbox."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    and_,
    delete,
    func,
    or_,
    select,
    update,
)
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


@dataclass(frozen=True)
class Claimed:
    """A message taken for sending: what the letter is built from."""

    id: str
    to: str
    subject: str
    body: str | None
    headers: dict[str, Any]
    message_id: str
    created_at: datetime


_MAIL = cast(Table, OutboxMail.__table__)


def claim(
    session: Session,
    *,
    now: datetime,
    stale_before: datetime,
    worker: str,
    ids: Sequence[str] | None = None,
    limit: int = 100,
) -> list[Claimed]:
    """Take due messages for ``worker``, oldest first: pending ones, and ones whose sender
    died mid-send.

    One statement (the rows picked, marked and returned), in Core: a letter's claim cost more
    CPU through the ORM than building the letter. PostgreSQL skips rows another sender has
    locked; SQLite's BEGIN IMMEDIATE (see ``ombud.db``) already lets one writer in at a time."""
    c = _MAIL.c
    due = or_(
        and_(c.status == "pending", c.next_attempt_at <= now),
        and_(c.status == "sending", c.claimed_at < stale_before),
    )
    pick = select(c.id).where(due)
    if ids is not None:
        pick = pick.where(c.id.in_(list(ids)))
    pick = pick.order_by(c.created_at, c.id).limit(limit).with_for_update(skip_locked=True)
    stmt = (
        update(_MAIL)
        .where(c.id.in_(pick.scalar_subquery()))
        .values(status="sending", claimed_by=worker, claimed_at=now, attempts=c.attempts + 1)
        .returning(c.id, c.to, c.subject, c.body, c.headers, c.message_id, c.created_at)
    )
    rows = [Claimed(*row) for row in session.execute(stmt)]
    # RETURNING promises no order.
    return sorted(rows, key=lambda r: (r.created_at, r.id))


def mark_sent(session: Session, mail_ids: Sequence[str], *, at: datetime) -> int:
    """Mark claimed messages sent and wipe their bodies, in one statement; how many were
    still there."""
    # The table, not the class: the ORM would look for each row among the session's objects.
    stmt = (
        update(_MAIL)
        .where(_MAIL.c.id.in_(list(mail_ids)))
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
