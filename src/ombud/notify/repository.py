"""All SQL of staff notifications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.models.notify import DigestDay
from ombud.models.staff import StaffUser


def user_by_id(session: Session, user_id: str) -> StaffUser | None:
    """The staff user with this id, if any."""
    return session.get(StaffUser, user_id)


def users_by_ids(session: Session, ids: Sequence[str]) -> list[StaffUser]:
    """Staff users with these ids."""
    if not ids:
        return []
    return list(session.scalars(select(StaffUser).where(StaffUser.id.in_(list(ids)))))


def active_in(session: Session, roles: Sequence[str]) -> list[StaffUser]:
    """Active staff in ``roles`` (whether they want mail or not), by email."""
    stmt = (
        select(StaffUser)
        .where(StaffUser.role.in_(list(roles)), StaffUser.active.is_(True))
        .order_by(StaffUser.email)
    )
    return list(session.scalars(stmt))


def digest_day(session: Session, day: date) -> DigestDay | None:
    """The record of the digest sent on ``day``, if it was."""
    return session.get(DigestDay, day)


def add_digest_day(session: Session, row: DigestDay) -> None:
    """Claim a day: its primary key refuses a second digest that day."""
    session.add(row)
    session.flush()
