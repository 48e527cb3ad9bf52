"""All SQL of retention in Ombud's store: runs and locks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Result, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ombud.models.retention import RetentionLock, RetentionRun


def acquire(session: Session, name: str, holder: str, *, now: datetime, until: datetime) -> bool:
    """Take lock ``name`` until ``until`` if it is free, expired or already ours."""
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = session.execute(
        make(RetentionLock)
        .values(name=name, holder=holder, expires_at=until)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    if _count(inserted) == 1:
        return True
    taken = session.execute(
        update(RetentionLock)
        .where(
            RetentionLock.name == name,
            or_(RetentionLock.expires_at < now, RetentionLock.holder == holder),
        )
        .values(holder=holder, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    return _count(taken) == 1


def _count(result: Result[Any]) -> int:
    """Rows a DML statement touched."""
    return int(cast(CursorResult[Any], result).rowcount)


def release(session: Session, name: str, holder: str) -> None:
    """Give lock ``name`` back (only if still ours)."""
    session.execute(
        update(RetentionLock)
        .where(RetentionLock.name == name, RetentionLock.holder == holder)
        .values(expires_at=datetime(1970, 1, 1, tzinfo=UTC))
        .execution_options(synchronize_session=False)
    )


def unfinished(session: Session, rule: str) -> RetentionRun | None:
    """The newest run of ``rule`` that neither completed nor failed (a crash left it)."""
    return session.scalars(
        select(RetentionRun)
        .where(RetentionRun.rule == rule, RetentionRun.status == "running")
        .order_by(RetentionRun.started_at.desc())
        .limit(1)
    ).first()


def add(session: Session, run: RetentionRun) -> RetentionRun:
    """Insert a run."""
    session.add(run)
    session.flush()
    return run


def get(session: Session, run_id: str) -> RetentionRun | None:
    """One run."""
    return session.get(RetentionRun, run_id)


def latest_per_rule(session: Session) -> dict[str, RetentionRun]:
    """The newest run of each rule."""
    out: dict[str, RetentionRun] = {}
    for run in session.scalars(select(RetentionRun).order_by(RetentionRun.started_at.desc())):
        out.setdefault(run.rule, run)
    return out


def last_completed(session: Session) -> dict[str, RetentionRun]:
    """The newest completed run of each rule."""
    out: dict[str, RetentionRun] = {}
    stmt = (
        select(RetentionRun)
        .where(RetentionRun.status == "completed")
        .order_by(RetentionRun.started_at.desc())
    )
    for run in session.scalars(stmt):
        out.setdefault(run.rule, run)
    return out
