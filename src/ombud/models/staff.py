"""Staff accounts and their API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime


class Role(StrEnum):
    """Staff roles, from most to least powerful."""

    admin = "admin"
    privacy_officer = "privacy_officer"
    viewer = "viewer"


ROLE_RANK = {Role.viewer: 0, Role.privacy_officer: 1, Role.admin: 2}


class StaffUser(IdMixin, CreatedMixin, Base):
    __tablename__ = "staff_users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Mail about verified requests and the daily digest of deadlines (``ombud.notify``).
    notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", lazy="raise")


class ApiToken(IdMixin, CreatedMixin, Base):
    __tablename__ = "api_tokens"

    user_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # First characters of the token, to find its row without storing the token itself.
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[StaffUser] = relationship(back_populates="tokens", lazy="raise")
