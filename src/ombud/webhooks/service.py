"""Emit events into the webhook outbox (in the caller's transaction); deliver them after it
commits, signed, retried with exponential backoff, and ``failed`` after the last attempt.

Payloads carry references only: the request id and reference, types, statuses and purpose
keys. ``emit`` keeps the keys listed in ``PAYLOAD_KEYS`` and drops any other, so a caller
cannot leak an email address or a name to a receiver by mistake (see docs/webhooks.md)."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import after_commit_all, forget_per_transaction
from ombud.errors import InvalidInput, NotFound
from ombud.models.base import new_id
from ombud.models.webhooks import WebhookDelivery, WebhookEndpoint
from ombud.webhooks import delivery, repository
from ombud.webhooks import targets as targets_module
from ombud.webhooks.targets import check_url, targets

log = logging.getLogger(__name__)

EVENTS = (
    "request.approved",
    "request.completed",
    "consent.changed",
    "restriction.set",
    "restriction.lifted",
    "opt_out",
)
# Everything a payload may hold: references and keys, never personal data values.
PAYLOAD_KEYS = frozenset(
    {
        "request_id",
        "reference",
        "type",
        "status",
        "previous_status",
        "purpose",
        "purposes",
        "decision",
        "decisions",
        "method",
        "jurisdiction",
        "receipt_ids",
        "scope",
        "source",
    }
)


def clean(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload with only the keys receivers may see and plain values."""
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key not in PAYLOAD_KEYS:
            log.warning("webhook payload key %r dropped: not a reference", key)
            continue
        if isinstance(value, str | int | bool) or value is None:
            out[key] = value
        elif isinstance(value, list | tuple):
            out[key] = [str(v) for v in value]
        elif isinstance(value, dict):
            out[key] = {str(k): str(v) for k, v in value.items()}
    return out


def emit(
    session: Session, event: str, payload: dict[str, Any], *, settings: Settings | None = None
) -> list[WebhookDelivery]:
    """Queue ``event`` for every endpoint that wants it, in the caller's transaction."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}; known: {', '.join(EVENTS)}")
    settings = settings or config.get_settings()
    data = clean(payload)
    rows: list[WebhookDelivery] = []
    now = utcnow()
    for target in targets(session, settings):
        if target.events and event not in target.events:
            continue
        delivery_id = new_id()
        body = {"id": delivery_id, "event": event, "created_at": now.isoformat(), "data": data}
        row = WebhookDelivery(
            id=delivery_id,
            kind="webhook",
            endpoint_id=target.endpoint_id,
            url=target.url,
            event=event,
            body=json.dumps(body, separators=(",", ":"), sort_keys=True),
            status="pending",
            attempts=0,
            next_attempt_at=now,
        )
        repository.add(session, row)
        rows.append(row)
    deliver_after_commit(session, settings, [r.id for r in rows])
    return rows


def queue_raw(
    session: Session, settings: Settings, *, kind: str, url: str, event: str, body: str
) -> WebhookDelivery:
    """Queue a body signed another way (``opendsr``): sent after the commit like events."""
    row = WebhookDelivery(
        kind=kind,
        endpoint_id=None,
        url=url,
        event=event,
        body=body,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    repository.add(session, row)
    deliver_after_commit(session, settings, [row.id])
    return row


def deliver_after_commit(session: Session, settings: Settings, ids: Sequence[str]) -> None:
    """Once ``session`` commits, deliver ``ids`` in a background thread (never delaying the
    response); a process that dies first leaves them to the next drain."""
    bind = session.get_bind()
    if isinstance(bind, Engine):
        engine = bind

        # One delivery thread for everything the transaction queued.
        def start(all_ids: list[str]) -> None:
            delivery.start(engine, settings, list(all_ids))

        for delivery_id in ids:
            after_commit_all(session, "webhooks", delivery_id, start)


def drain(engine: Engine | None, settings: Settings, *, limit: int = 100) -> delivery.Report:
    """Deliver every due delivery (housekeeping, workers)."""
    return delivery.drain(engine, settings, limit=limit)


# ---------------------------------------------------------------- endpoints (staff API)
def add_endpoint(
    session: Session,
    *,
    url: str,
    events: Sequence[str],
    description: str,
    actor: str,
    secret: str | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register a receiver; returns it and its secret (shown once)."""
    unknown = sorted(set(events) - set(EVENTS))
    if unknown:
        raise InvalidInput(f"events: unknown {', '.join(unknown)}; known: {', '.join(EVENTS)}")
    secret = secret or f"whsec_{secrets.token_urlsafe(32)}"
    if len(secret) < 24:
        raise InvalidInput("secret: at least 24 characters (or leave it out to get one)")
    row = WebhookEndpoint(
        url=check_url(url),
        secret=secret,
        events=sorted(set(events)),
        description=description.strip()[:300],
        active=True,
        created_by=actor,
    )
    repository.add(session, row)
    forget_per_transaction(session, targets_module.MEMO)
    audit.record(
        session,
        action="webhook.endpoint_added",
        actor=actor,
        subject_type="webhook_endpoint",
        subject_id=row.id,
        data={"host": urlsplit(row.url).hostname, "events": row.events},
    )
    return row, secret


def endpoints(session: Session) -> list[WebhookEndpoint]:
    """Registered endpoints."""
    return repository.endpoints(session)


def remove_endpoint(session: Session, endpoint_id: str, *, actor: str) -> None:
    """Remove a receiver; what is still queued for it fails at its next attempt."""
    if repository.endpoint(session, endpoint_id) is None:
        raise NotFound(f"no webhook endpoint with id {endpoint_id}")
    repository.remove_endpoint(session, endpoint_id)
    forget_per_transaction(session, targets_module.MEMO)
    audit.record(
        session,
        action="webhook.endpoint_removed",
        actor=actor,
        subject_type="webhook_endpoint",
        subject_id=endpoint_id,
        data={},
    )


def deliveries(session: Session, *, status: str | None = None) -> list[WebhookDelivery]:
    """Recent deliveries (e.g. the ``failed`` ones)."""
    return repository.deliveries(session, status=status)
