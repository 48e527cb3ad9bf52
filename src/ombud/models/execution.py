"""Execution runs and steps: what the engine did for each request, so a crash resumes cleanly."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime


class ExecutionRun(IdMixin, CreatedMixin, Base):
    """One per request: its phase (collecting, applying, completed, failed) and worker lease."""

    __tablename__ = "execution_runs"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("privacy_requests.id", ondelete="CASCADE"), unique=True
    )
    phase: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # "host:pid:thread" of the worker that holds the run; a dead pid (or a finished thread of
    # this process) on this host frees it at once.
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    steps: Mapped[list[ExecutionStep]] = relationship(
        back_populates="run", lazy="raise", order_by="ExecutionStep.position"
    )


class ExecutionStep(IdMixin, Base):
    """One (request, collection, action): the change to apply and whether it was applied."""

    __tablename__ = "execution_steps"
    __table_args__ = (UniqueConstraint("request_id", "collection", "action"),)

    run_id: Mapped[str] = mapped_column(
        ForeignKey("execution_runs.id", ondelete="CASCADE"), index=True
    )
    request_id: Mapped[str] = mapped_column(String(36))
    collection: Mapped[str] = mapped_column(String(300))
    action: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # Keys and masked values to write (never the old values); emptied once done.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Counts and field names for the result; held fields with their reasons.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    kept: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    # Rectification: sha256 of each old value, for the audit trail.
    old_hashes: Mapped[dict[str, str]] = mapped_column(JSON)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    run: Mapped[ExecutionRun] = relationship(back_populates="steps", lazy="raise")


class PackageUnlockAttempt(IdMixin, Base):
    """One try at opening a passphrase-protected package through its download page; wrong
    tries are counted per link to limit guessing (the passphrase itself is never stored)."""

    __tablename__ = "package_unlock_attempts"
    __table_args__ = (Index("ix_package_unlock_attempts_export_at", "export_id", "at"),)

    export_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
