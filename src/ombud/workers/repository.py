"""All SQL of the workers domain: periodic job slots."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ombud.models.workers import PeriodicJob


def claim_slot(session: Session, name: str, slot: datetime, *, holder: str, now: datetime) -> bool:
    """Take ``slot`` of job ``name`` unless this or a later slot was already taken."""
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(make(PeriodicJob).values(name=name, last_slot=None).on_conflict_do_nothing())
    # One conditional UPDATE: of several processes, exactly one moves last_slot to ``slot``.
    taken = session.execute(
        update(PeriodicJob)
        .where(
            PeriodicJob.name == name,
            or_(PeriodicJob.last_slot.is_(None), PeriodicJob.last_slot < slot),
        )
        .values(last_slot=slot, holder=holder, started_at=now, finished_at=None)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], taken).rowcount) == 1


def last_slot(session: Session, name: str) -> datetime | None:
    """The newest slot taken for job ``name`` (None: never)."""
    return session.scalar(select(PeriodicJob.last_slot).where(PeriodicJob.name == name))


def seed(session: Session, name: str, slot: datetime) -> None:
    """Record ``slot`` as taken when the job has never run (a new schedule starts from now)."""
    dialect = session.get_bind().dialect.name
    make = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(make(PeriodicJob).values(name=name, last_slot=slot).on_conflict_do_nothing())


def finish(session: Session, name: str, *, now: datetime, error: str | None) -> None:
    """Record how the job's current run ended."""
    session.execute(
        update(PeriodicJob)
        .where(PeriodicJob.name == name)
        .values(finished_at=now, last_error=error)
        .execution_options(synchronize_session=False)
    )


def jobs(session: Session) -> list[PeriodicJob]:
    """Every job seen, by name."""
    return list(session.scalars(select(PeriodicJob).order_by(PeriodicJob.name)))
