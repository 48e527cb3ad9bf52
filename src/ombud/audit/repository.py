"""All SQL of the audit log."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, ScalarResult, insert, select, update
from sqlalchemy.orm import Session

from ombud.models.audit import AuditEntry, AuditHead

HEAD_ID = 1


def lock_head(session: Session) -> AuditHead:
    """Return the head row, locked for update (created on first use)."""
    stmt = select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    # populate_existing: a head loaded earlier in the session may have moved since.
    head = session.scalar(stmt.execution_options(populate_existing=True))
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash="")
        session.add(head)
        session.flush()
    return head


def advance_head(session: Session, *, seq: int, hash: str, new_seq: int, new_hash: str) -> bool:
    """Move the head from (``seq``, ``hash``) to the new one, locking it; False when the head
    is elsewhere (nothing changed)."""
    stmt = (
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID, AuditHead.seq == seq, AuditHead.hash == hash)
        .values(seq=new_seq, hash=new_hash)
    )
    return cast(CursorResult[Any], session.execute(stmt)).rowcount == 1


def get_head(session: Session) -> AuditHead | None:
    """Return the head row without locking it."""
    return session.get(AuditHead, HEAD_ID)


def add_many(session: Session, entries: list[AuditEntry]) -> None:
    """Insert entries in one statement and set their ids (Core: no objects kept in the
    session, no flush)."""
    rows = session.execute(
        insert(AuditEntry).returning(AuditEntry.id, AuditEntry.seq),
        [
            {
                "seq": e.seq,
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "subject_type": e.subject_type,
                "subject_id": e.subject_id,
                "data": e.data,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in entries
        ],
    )
    ids = {seq: id_ for id_, seq in rows}
    for e in entries:
        e.id = ids[e.seq]


def iter_entries(session: Session, batch: int = 2000) -> ScalarResult[AuditEntry]:
    """Return all entries in chain order, streamed; use it in ``with`` to close early."""
    return session.scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    )


def for_subject(session: Session, *, subject_type: str, subject_id: str) -> list[AuditEntry]:
    """Return the entries about one subject, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.seq)
    )
    return list(session.scalars(stmt))


def search(
    session: Session,
    *,
    subject_id: str = "",
    action: str = "",
    actor: str = "",
    before_seq: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries matching every filter given (subject id exact, action and actor by prefix),
    newest first, ``limit`` of them before ``before_seq``."""
    stmt = select(AuditEntry)
    if subject_id:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        stmt = stmt.where(AuditEntry.actor.startswith(actor, autoescape=True))
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    return list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit)))


def hash_at(session: Session, seq: int) -> str | None:
    """The stored hash of entry ``seq``, or None when there is no such entry."""
    return session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))
