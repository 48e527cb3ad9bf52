"""Staff notifications: the days on which the deadline digest went out."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ombud.models.base import Base, UTCDateTime


class DigestDay(Base):
    """One row per day the daily digest was sent: the primary key makes sending idempotent."""

    __tablename__ = "notify_digests"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recipients: Mapped[int] = mapped_column(Integer, default=0)
