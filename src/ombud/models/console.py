"""The staff console's sign-in: browser sessions, failed sign-ins, second factors, policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime
from ombud.models.staff import StaffUser


class StaffSession(IdMixin, CreatedMixin, Base):
    """A signed-in browser; the cookie holds a random secret, the store only its hash."""

    __tablename__ = "staff_sessions"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The absolute limit: the session ends then however active it is.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Password checked, second factor still to give: no page but the code form opens.
    needs_second_factor: Mapped[bool] = mapped_column(default=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[StaffUser] = relationship(lazy="raise")


class LoginFailure(Base):
    """Failed sign-ins counted per account or per address (keys are hashes, never emails)."""

    __tablename__ = "staff_login_failures"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class StaffTotp(CreatedMixin, Base):
    """A staff user's TOTP second factor: the secret sealed with a purpose key."""

    __tablename__ = "staff_totp"

    user_id: Mapped[str] = mapped_column(
        ForeignKey("staff_users.id", ondelete="CASCADE"), primary_key=True
    )
    secret_sealed: Mapped[str] = mapped_column(Text)
    # None while enrolling: the factor counts once a first code has been confirmed.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Hashes of the unused recovery codes.
    recovery_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The time step of the last accepted code: a code is never accepted twice.
    last_step: Mapped[int] = mapped_column(Integer, default=0)


class ConsolePolicy(Base):
    """Console-wide choices an admin makes (one row per name)."""

    __tablename__ = "console_policy"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
