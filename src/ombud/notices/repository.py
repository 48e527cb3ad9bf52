"""All SQL of the statement domain: versions and change-notice deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.models.statement import StatementDelivery, StatementVersion


def latest(session: Session) -> StatementVersion | None:
    """The most recently published version, if any."""
    return session.scalar(
        select(StatementVersion).order_by(StatementVersion.number.desc()).limit(1)
    )


def in_force(session: Session, today: date) -> StatementVersion | None:
    """The newest version whose effective date has come."""
    return session.scalar(
        select(StatementVersion)
        .where(StatementVersion.effective_date <= today)
        .order_by(StatementVersion.number.desc())
        .limit(1)
    )


def upcoming(session: Session, today: date) -> StatementVersion | None:
    """The newest published version that takes effect after ``today``, if any."""
    return session.scalar(
        select(StatementVersion)
        .where(StatementVersion.effective_date > today)
        .order_by(StatementVersion.number.desc())
        .limit(1)
    )


def by_number(session: Session, number: int) -> StatementVersion | None:
    """The version with this number."""
    return session.scalar(select(StatementVersion).where(StatementVersion.number == number))


def all_versions(session: Session, *, newest_first: bool = True) -> Sequence[StatementVersion]:
    """Every version, newest first by default."""
    order = StatementVersion.number.desc() if newest_first else StatementVersion.number.asc()
    return session.scalars(select(StatementVersion).order_by(order)).all()


def next_number(session: Session) -> int:
    """The number the next published version gets."""
    current = session.scalar(select(func.max(StatementVersion.number)))
    return (current or 0) + 1


def add(session: Session, version: StatementVersion) -> StatementVersion:
    """Store a new version."""
    session.add(version)
    session.flush()
    return version


def delivery_emails(session: Session, *, version_id: str) -> set[str]:
    """Addresses that already have a delivery row for this version."""
    rows = session.scalars(
        select(StatementDelivery.email).where(StatementDelivery.version_id == version_id)
    )
    return set(rows)


def add_deliveries(session: Session, *, version_id: str, emails: Sequence[str]) -> int:
    """Create pending deliveries for ``emails``; return how many were created."""
    for email in emails:
        session.add(StatementDelivery(version_id=version_id, email=email, status="pending"))
    session.flush()
    return len(emails)


def next_pending(
    session: Session, *, version_id: str, skip: Sequence[str] = ()
) -> StatementDelivery | None:
    """One undelivered notice for this version, locked on PostgreSQL so workers do not overlap."""
    query = (
        select(StatementDelivery)
        .where(StatementDelivery.version_id == version_id, StatementDelivery.status == "pending")
        .order_by(StatementDelivery.email)
        .limit(1)
    )
    if skip:
        query = query.where(StatementDelivery.id.not_in(skip))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return session.scalar(query)


def deliveries(session: Session, *, version_id: str) -> Sequence[StatementDelivery]:
    """Every delivery of this version, by address."""
    return session.scalars(
        select(StatementDelivery)
        .where(StatementDelivery.version_id == version_id)
        .order_by(StatementDelivery.email)
    ).all()
