"""Periodic jobs: the last time slot of each that a process claimed, so it runs once per slot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombud.models.base import Base, UTCDateTime


class PeriodicJob(Base):
    """One named job (retention, housekeeping, ...): its last claimed slot and how it ended."""

    __tablename__ = "periodic_jobs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    # The newest slot taken; a process may take a slot only if it is later than this one.
    last_slot: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    holder: Mapped[str | None] = mapped_column(String(200), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Why the last run failed (no personal data: exception type and message of Ombud's own).
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
