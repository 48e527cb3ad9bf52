"""All SQL of staff accounts and tokens."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from ombud.models.staff import ApiToken, StaffUser


def get_user_by_email(session: Session, email: str) -> StaffUser | None:
    """Return the staff user with this email, if any."""
    return session.scalar(select(StaffUser).where(StaffUser.email == email.lower()))


def list_users(session: Session) -> list[StaffUser]:
    """Return all staff users by email."""
    return list(session.scalars(select(StaffUser).order_by(StaffUser.email)))


def add(session: Session, obj: StaffUser | ApiToken) -> None:
    """Insert a user or token."""
    session.add(obj)
    session.flush()


def get_token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    """Return the token with this hash and its user."""
    stmt = (
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.token_hash == token_hash)
    )
    return session.scalar(stmt)


def tokens_by_prefix(session: Session, prefix: str) -> list[ApiToken]:
    """Tokens whose shown prefix starts with ``prefix``."""
    stmt = select(ApiToken).where(ApiToken.prefix.startswith(prefix, autoescape=True))
    return list(session.scalars(stmt))


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token with its user, newest first."""
    stmt = select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.created_at.desc())
    return list(session.scalars(stmt))
