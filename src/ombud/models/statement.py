"""Published privacy statement versions and the change notices sent for them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime


class StatementVersion(IdMixin, CreatedMixin, Base):
    """A frozen rendering of the statement; never updated once published."""

    __tablename__ = "statement_versions"

    number: Mapped[int] = mapped_column(Integer, unique=True)
    # sha256 of the Markdown body: the same content always hashes the same.
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    html: Mapped[str] = mapped_column(Text)
    markdown: Mapped[str] = mapped_column(Text)
    # [{key, title, text}] per section: what the word-level diff compares.
    sections: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Snapshot of the processors at publish: the sub-processor feed compares these.
    subprocessors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Other languages: {language: {html, markdown, sections}}; None before languages existed.
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    material: Mapped[bool] = mapped_column(Boolean, default=False)
    effective_date: Mapped[date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by: Mapped[str] = mapped_column(String(320), default="")


class StatementDelivery(IdMixin, CreatedMixin, Base):
    """One change notice to one subscriber; the unique key makes reruns send once."""

    __tablename__ = "statement_deliveries"
    __table_args__ = (UniqueConstraint("version_id", "email"),)

    version_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("statement_versions.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    # pending, sent, or skipped (no longer subscribed when its turn came).
    status: Mapped[str] = mapped_column(String(16), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_id: Mapped[str] = mapped_column(String(255), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
