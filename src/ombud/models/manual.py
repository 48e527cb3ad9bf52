"""Manual tasks: work on a system without a connector, done by its owner through a signed link."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime


class ManualTask(IdMixin, CreatedMixin, Base):
    """One per (request, manual system or recipient): open, then done, nothing_found or
    cannot_do. The identities to search for are copied in when the task opens and wiped
    when it closes; the owner's upload (access requests) is a private file under data_dir."""

    __tablename__ = "manual_tasks"
    __table_args__ = (UniqueConstraint("request_id", "system_key"),)

    request_id: Mapped[str] = mapped_column(
        ForeignKey("privacy_requests.id", ondelete="CASCADE"), index=True
    )
    # "system" or "recipient", and its fides_key and name in the data map.
    system_kind: Mapped[str] = mapped_column(String(16))
    system_key: Mapped[str] = mapped_column(String(200))
    system_name: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(320))
    # export, erase, restrict, rectify, opt_out
    action: Mapped[str] = mapped_column(String(16))
    identities: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16), index=True, default="open")
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # {"name", "size", "sha256", "path"} of the owner's file, once uploaded.
    upload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Bumped when staff re-send the link: every earlier link stops working.
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    # Which reminder went out (so housekeeping sends each once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
