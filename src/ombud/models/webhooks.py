"""Webhook endpoints and the webhook outbox: deliveries queued with the event, sent after."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombud.models.base import Base, CreatedMixin, IdMixin, UTCDateTime


class WebhookEndpoint(IdMixin, CreatedMixin, Base):
    """A receiver staff registered: its URL, the events it wants ([] = all) and its secret."""

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2000))
    # The shared secret the receiver verifies signatures with; shown once when created.
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    description: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(320))


class WebhookDelivery(IdMixin, CreatedMixin, Base):
    """One POST to send: pending, sending (claimed), delivered or failed (given up).

    ``kind`` says how it is signed: ``webhook`` (HMAC with the endpoint's secret) or
    ``opendsr`` (the processor's RSA key, OpenDSR 2.0)."""

    __tablename__ = "webhook_deliveries"

    kind: Mapped[str] = mapped_column(String(16), default="webhook")
    endpoint_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    url: Mapped[str] = mapped_column(String(2000))
    event: Mapped[str] = mapped_column(String(64))
    # The exact body that is signed and sent (JSON text).
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
