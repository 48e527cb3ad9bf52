"""Data subject requests and what is kept with them (messages, notes, verification codes)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime


class RequestType(StrEnum):
    access = "access"
    portability = "portability"
    rectification = "rectification"
    erasure = "erasure"
    restriction = "restriction"
    objection = "objection"
    withdraw_consent = "withdraw_consent"
    opt_out_sale = "opt_out_sale"
    opt_out_sharing = "opt_out_sharing"
    limit_sensitive = "limit_sensitive"


class RequestStatus(StrEnum):
    received = "received"
    awaiting_verification = "awaiting_verification"
    # An agent's request the person confirmed, waiting for the agent's written permission.
    awaiting_authorization = "awaiting_authorization"
    verified = "verified"
    approved = "approved"
    denied = "denied"
    in_progress = "in_progress"
    completed = "completed"
    failed = "failed"
    cancelled = "cancelled"


class PrivacyRequest(IdMixin, CreatedMixin, Base):
    __tablename__ = "privacy_requests"

    type: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(32))
    # Lower-cased email, kept apart for lookups and rate limits; None once purged.
    email: Mapped[str | None] = mapped_column(String(320), index=True, nullable=True)
    # Verified identities only, the ones that seed the search: {"email": ...} once the code is
    # confirmed, plus hints staff accepted ({"phone": ...}); emptied when purged.
    identities: Mapped[dict[str, str]] = mapped_column(JSON)
    # Identities the requester (or an agent, or a forwarding system) gave that nobody has
    # verified: [{"id", "type", "value", "format", "source", "status", ...}]. They seed
    # nothing until staff accept one (``ombud.dsr.hints``); emptied when purged.
    identity_hints: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    details: Mapped[str] = mapped_column(Text, default="")
    # For rectification: {"field or data category": "new value"}.
    rectification: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    agent: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The agent's written permission (CCPA § 7063): who recorded it, when, the stored
    # document's file name, size and SHA-256. None until attached.
    agent_permission: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    source: Mapped[str] = mapped_column(String(32), default="api")
    external_id: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    extended_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    acknowledge_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    denial_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What execution did: per collection counts, what was kept and why, package id.
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Added by the request lifecycle: when receipt was confirmed, where the person lives,
    # and where an OpenDSR caller wants status callbacks.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    country: Mapped[str | None] = mapped_column(String(8), nullable=True)
    callback_urls: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Encryption of the access package the person chose: "age_recipient" or "passphrase".
    # The passphrase is kept only sealed (``ombud.dsr.sealing``) and wiped once the request
    # closes; the method stays so staff and letters can say how the package was protected.
    package_encryption: Mapped[str | None] = mapped_column(String(16), nullable=True)
    package_recipient: Mapped[str | None] = mapped_column(String(128), nullable=True)
    package_passphrase_sealed: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Language of the letters (``en``, ``de``); None: the data map's default.
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # withdraw_consent and objection: the purposes the person chose (None: all of them).
    purposes: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # The staff member who looks after this request; None: nobody yet.
    assignee_id: Mapped[str | None] = mapped_column(
        ForeignKey("staff_users.id", ondelete="SET NULL"), index=True, nullable=True
    )
    # The approval rule of the data map that applied when the request arrived: how many staff
    # approvals it needs ("auto", "one", "two"), where the rule was written, and who approved.
    approval_policy: Mapped[str] = mapped_column(String(8), default="one", server_default="one")
    approval_rule: Mapped[str] = mapped_column(String(200), default="", server_default="")
    approvals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    messages: Mapped[list[RequestMessage]] = relationship(
        back_populates="request", lazy="raise", order_by="RequestMessage.sent_at"
    )


class RequestMessage(IdMixin, Base):
    """Every message sent to the person, kept with the request."""

    __tablename__ = "request_messages"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("privacy_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())

    request: Mapped[PrivacyRequest] = relationship(back_populates="messages", lazy="raise")


class VerificationCode(IdMixin, CreatedMixin, Base):
    """A one-time code emailed to the person; only its keyed hash is stored."""

    __tablename__ = "verification_codes"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("privacy_requests.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when a newer code replaced this one (resend).
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RequestNote(IdMixin, CreatedMixin, Base):
    """An internal staff note on a request (never sent to the person)."""

    __tablename__ = "request_notes"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("privacy_requests.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(320))
    text: Mapped[str] = mapped_column(Text)
