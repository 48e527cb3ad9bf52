"""All SQL of console sessions, failed sign-ins, second factors and the console policy."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session, joinedload

from ombud.models.console import ConsolePolicy, LoginFailure, StaffSession, StaffTotp


def add(session: Session, obj: StaffSession | StaffTotp | LoginFailure) -> None:
    """Insert a row."""
    session.add(obj)
    session.flush()


def session_by_hash(session: Session, secret_hash: str) -> StaffSession | None:
    """The live (not ended) session with this secret hash, with its user."""
    stmt = (
        select(StaffSession)
        .options(joinedload(StaffSession.user))
        .where(StaffSession.secret_hash == secret_hash, StaffSession.ended_at.is_(None))
    )
    return session.scalar(stmt)


def end_sessions(session: Session, user_id: str, *, at: datetime) -> int:
    """End every live session of a user; return how many."""
    stmt = (
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=at)
    )
    result = cast(CursorResult[Any], session.execute(stmt))
    session.flush()
    return int(result.rowcount)


def failure(session: Session, key: str) -> LoginFailure | None:
    """The failure counter of one key, locked for update."""
    return session.scalar(select(LoginFailure).where(LoginFailure.key == key).with_for_update())


def clear_failure(session: Session, key: str) -> None:
    """Forget the failures of one key."""
    row = session.get(LoginFailure, key)
    if row is not None:
        session.delete(row)
        session.flush()


def totp(session: Session, user_id: str) -> StaffTotp | None:
    """A user's second factor, if any."""
    return session.get(StaffTotp, user_id)


def delete_totp(session: Session, row: StaffTotp) -> None:
    """Remove a second factor."""
    session.delete(row)
    session.flush()


def policy(session: Session, name: str) -> Any:
    """The value of one console policy, or None."""
    row = session.get(ConsolePolicy, name)
    return None if row is None else row.value


def set_policy(session: Session, name: str, value: Any, *, actor: str, at: datetime) -> None:
    """Store one console policy."""
    row = session.get(ConsolePolicy, name)
    if row is None:
        session.add(ConsolePolicy(name=name, value=value, updated_by=actor, updated_at=at))
    else:
        row.value, row.updated_by, row.updated_at = value, actor, at
    session.flush()


def delete_stale(session: Session, *, user_id: str, idle_before: datetime, now: datetime) -> None:
    """Delete a user's ended, expired or idle sessions, and failure counts nobody needs."""
    session.execute(
        delete(StaffSession).where(
            StaffSession.user_id == user_id,
            or_(
                StaffSession.ended_at.is_not(None),
                StaffSession.expires_at <= now,
                StaffSession.last_seen_at < idle_before,
            ),
        )
    )
    forgotten = now - timedelta(days=1)
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.last_failure_at < forgotten,
            or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until <= now),
        )
    )
    session.flush()
