"""All SQL of webhook endpoints and the webhook outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import and_, delete, func, inspect, or_, select
from sqlalchemy.orm import Session

from ombud.models.webhooks import WebhookDelivery, WebhookEndpoint


def add(session: Session, row: WebhookEndpoint | WebhookDelivery) -> None:
    """Store an endpoint or queue a delivery."""
    session.add(row)
    session.flush()


def endpoints(session: Session, *, active_only: bool = False) -> list[WebhookEndpoint]:
    """Registered endpoints, oldest first."""
    stmt = select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    if active_only:
        stmt = stmt.where(WebhookEndpoint.active.is_(True))
    return list(session.scalars(stmt))


def active_endpoints(session: Session) -> list[tuple[str, str, str, list[str]]]:
    """Id, URL, secret and events of each active endpoint, oldest first (every emit asks)."""
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(_active_endpoints())]


@cache
def _active_endpoints() -> Any:
    # Asked for every batch of consent decisions: a Core select built once skips the ORM.
    c = inspect(WebhookEndpoint).local_table.c
    return (
        select(c.id, c.url, c.secret, c.events)
        .where(c.active.is_(True))
        .order_by(c.created_at, c.id)
    )


def endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint | None:
    """One endpoint."""
    return session.get(WebhookEndpoint, endpoint_id)


def remove_endpoint(session: Session, endpoint_id: str) -> None:
    """Delete an endpoint (its queued deliveries fail at their next attempt)."""
    session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


def claim(
    session: Session,
    *,
    now: datetime,
    stale_before: datetime,
    worker: str,
    ids: Sequence[str] | None = None,
    limit: int = 100,
) -> list[WebhookDelivery]:
    """Take due deliveries for ``worker``: pending ones, and ones whose sender died mid-send.

    PostgreSQL skips rows another sender has locked; SQLite's BEGIN IMMEDIATE (see
    ``ombud.db``) lets one writer in at a time."""
    due = or_(
        and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
        and_(WebhookDelivery.status == "sending", WebhookDelivery.claimed_at < stale_before),
    )
    stmt = select(WebhookDelivery).where(due)
    if ids is not None:
        stmt = stmt.where(WebhookDelivery.id.in_(list(ids)))
    stmt = stmt.order_by(WebhookDelivery.created_at, WebhookDelivery.id).limit(limit)
    rows = list(session.scalars(stmt.with_for_update(skip_locked=True)))
    for row in rows:
        row.status, row.claimed_by, row.claimed_at = "sending", worker, now
        row.attempts += 1
    session.flush()
    return rows


def delivery(session: Session, delivery_id: str, *, lock: bool = False) -> WebhookDelivery | None:
    """One delivery."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def deliveries(
    session: Session, *, status: str | None = None, limit: int = 100
) -> list[WebhookDelivery]:
    """Deliveries, newest first (all, or those in ``status``)."""
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return list(session.scalars(stmt))


def counts(session: Session) -> dict[str, int]:
    """{status: number of deliveries}."""
    stmt = select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
    return {str(status): int(n) for status, n in session.execute(stmt)}
