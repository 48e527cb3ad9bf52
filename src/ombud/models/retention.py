"""Retention runs (one per rule per run, with per-collection progress) and run locks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime


class RetentionRun(IdMixin, CreatedMixin, Base):
    """One rule applied once: counts per collection and the last key done (to resume)."""

    __tablename__ = "retention_runs"

    rule: Mapped[str] = mapped_column(String(200), index=True)
    # running, completed or failed.
    status: Mapped[str] = mapped_column(String(16), default="running")
    trigger: Mapped[str] = mapped_column(String(16), default="cli")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The moment periods were counted back from: a resumed run keeps it.
    as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    # {collection: {"action", "changed", "last_key", "done", "kept": {...}}}
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")


class RetentionLock(Base):
    """Held while a rule runs (or a schedule slot is taken): a second runner skips."""

    __tablename__ = "retention_locks"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
