"""Complaints about how Ombud's organization handles personal data, and staff notes on them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime


class ComplaintAbout(StrEnum):
    request = "request"
    processing = "processing"
    general = "general"


class ComplaintStatus(StrEnum):
    open = "open"
    answered = "answered"


class Complaint(IdMixin, CreatedMixin, Base):
    """One complaint: what it is about, the person's text, its deadline, who handles it, the
    answer. Text, email and answer are emptied when the complaint is purged (retention)."""

    __tablename__ = "complaints"

    # Short reference the person quotes (``C-`` and 8 characters), shown in every letter.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    about: Mapped[str] = mapped_column(String(16))
    # The request complained about; the request row outlives its purge, so the link stays.
    request_id: Mapped[str | None] = mapped_column(
        ForeignKey("privacy_requests.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # A data use of the data map (``marketing.advertising``) for a complaint about a processing.
    purpose: Mapped[str | None] = mapped_column(String(200), nullable=True)
    jurisdiction: Mapped[str] = mapped_column(String(32))
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Lower-cased email; None once purged.
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16), default="api")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(320), nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ComplaintNote(IdMixin, CreatedMixin, Base):
    """An internal staff note on a complaint (never sent to the person)."""

    __tablename__ = "complaint_notes"

    complaint_id: Mapped[str] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text)
