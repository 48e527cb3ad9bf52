"""All SQL of the ways into the preference center: opt-in confirmations, links, one-time codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ombud.models.consent import ConsentAccessCode, ConsentLink, ConsentPending


def get_pending(session: Session, pending_id: str) -> ConsentPending | None:
    """A pending double opt-in confirmation."""
    return session.get(ConsentPending, pending_id)


def get_link(session: Session, link_id: str) -> ConsentLink | None:
    """A mailed preference-center link."""
    return session.get(ConsentLink, link_id)


def latest_code(session: Session, subject_hash: str) -> ConsentAccessCode | None:
    """The newest unused one-time code of a subject, locked so parallel guesses queue."""
    stmt = (
        select(ConsentAccessCode)
        .where(ConsentAccessCode.subject_hash == subject_hash, ConsentAccessCode.used_at.is_(None))
        .order_by(ConsentAccessCode.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    return session.scalar(stmt)


def recent_code_attempts(session: Session, subject_hash: str, *, since: datetime) -> int:
    """The most tries counted on an unused code of a subject created after ``since``."""
    stmt = select(func.max(ConsentAccessCode.attempts)).where(
        ConsentAccessCode.subject_hash == subject_hash,
        ConsentAccessCode.used_at.is_(None),
        ConsentAccessCode.created_at > since,
    )
    return int(session.scalar(stmt) or 0)


def count_code_attempt(session: Session, code: ConsentAccessCode) -> int:
    """Add one attempt in the database itself (no lost update); return the new count."""
    stmt = (
        update(ConsentAccessCode)
        .where(ConsentAccessCode.id == code.id)
        .values(attempts=ConsentAccessCode.attempts + 1)
        .returning(ConsentAccessCode.attempts)
        .execution_options(synchronize_session=False)
    )
    attempts = int(session.execute(stmt).scalar_one())
    set_committed_value(code, "attempts", attempts)
    return attempts
