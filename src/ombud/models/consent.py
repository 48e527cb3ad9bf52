"""Consent ledger: notice versions, append-only decision records, current state, pending
double opt-in confirmations and preference-center one-time codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit sequence.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class ConsentNotice(IdMixin, CreatedMixin, Base):
    """One version of the text shown when asking for consent to a purpose."""

    __tablename__ = "consent_notices"
    __table_args__ = (
        UniqueConstraint("purpose", "version", name="uq_consent_notices_purpose_version"),
        UniqueConstraint("purpose", "content_hash", name="uq_consent_notices_purpose_hash"),
    )

    purpose: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)


class ConsentRecord(Base):
    """One decision, never updated except by erasure (which nulls the identifying columns)."""

    __tablename__ = "consent_records"
    __table_args__ = (Index("ix_consent_records_subject_purpose", "subject_hash", "purpose", "id"),)

    # Order of the ledger: ties in time (same clock tick) are broken by this sequence.
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    receipt_id: Mapped[str] = mapped_column(String(36), unique=True)
    # HMAC-SHA256 of "kind:identity" with the secret key: lookups without raw identities.
    subject_hash: Mapped[str] = mapped_column(String(64))
    subject_kind: Mapped[str] = mapped_column(String(16))
    # Raw identity, user agent and IP are nulled by erasure; the rest stays as proof.
    subject: Mapped[str | None] = mapped_column(String(320), nullable=True)
    purpose: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    notice_id: Mapped[str] = mapped_column(ForeignKey("consent_notices.id"))
    notice_version: Mapped[int] = mapped_column(Integer)
    notice_hash: Mapped[str] = mapped_column(String(64))
    jurisdiction: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source_url: Mapped[str] = mapped_column(String(2000), default="")
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor: Mapped[str] = mapped_column(String(320))
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ConsentState(Base):
    """Current decision per subject and purpose, upserted with each record."""

    __tablename__ = "consent_states"
    # The bulk check reads only this index (index-only scan, no heap visits).
    __table_args__ = (
        Index(
            "ix_consent_states_granted",
            "purpose",
            "subject_hash",
            postgresql_where=text("decision = 'granted'"),
            sqlite_where=text("decision = 'granted'"),
        ),
    )

    # purpose first: the bulk check filters one purpose and a list of hashes.
    purpose: Mapped[str] = mapped_column(String(200), primary_key=True)
    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(320), nullable=True)
    decision: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(BigId, ForeignKey("consent_records.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When a GPC signal was last recorded: an explicit choice after it wins over the signal.
    gpc_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ConsentPending(IdMixin, CreatedMixin, Base):
    """A subscription waiting for its double opt-in confirmation link to be followed."""

    __tablename__ = "consent_pending"

    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(320), nullable=True)
    purpose: Mapped[str] = mapped_column(String(200))
    notice_id: Mapped[str] = mapped_column(ForeignKey("consent_notices.id"))
    method: Mapped[str] = mapped_column(String(32))
    jurisdiction: Mapped[str] = mapped_column(String(32))
    source_url: Mapped[str] = mapped_column(String(2000), default="")
    user_agent: Mapped[str | None] = mapped_column(String(500), nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ConsentAccessCode(IdMixin, CreatedMixin, Base):
    """A one-time code that opens the preference center for one email address."""

    __tablename__ = "consent_access_codes"

    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ConsentLink(IdMixin, CreatedMixin, Base):
    """A mailed preference-center link: the link carries only this row's random id, so the
    address never appears in a URL (nor in access logs)."""

    __tablename__ = "consent_links"

    subject_hash: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str | None] = mapped_column(String(320), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsentObjection(Base):
    """An objection (GDPR Art. 21) in force: the person's identity may not be processed for
    this purpose; kept by keyed hash only. Staff overriding an objection leave no row."""

    __tablename__ = "consent_objections"

    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(200), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(320))


class ConsentRestriction(Base):
    """A restriction of processing (GDPR Art. 18) in force for one identity, by keyed hash;
    the row is deleted when staff lift it (after telling the person, Art. 18(3))."""

    __tablename__ = "consent_restrictions"

    subject_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(320))
