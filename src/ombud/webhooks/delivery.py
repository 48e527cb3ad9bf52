"""Sending queued deliveries: claim (committed), POST each, record the outcome (committed).

A claimed row is ``sending`` with its worker's name, so two processes never send the same
one; a sender that dies mid-send leaves it ``sending`` and after ``LEASE`` it is sent again
(a receiver may see a delivery twice in that narrow window: the ``id`` in the body and the
``Ombud-Delivery`` header tell them apart)."""

from __future__ import annotations

import logging
import os
import queue
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.errors import OmbudError
from ombud.models.webhooks import WebhookDelivery
from ombud.webhooks import opendsr, repository, signing
from ombud.webhooks.targets import secret_for

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
FIRST_WAIT = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=6)
USER_AGENT = "Ombud-Webhooks/1"
# Threads a process delivers with. A slow receiver holds one for up to the timeout per
# delivery, and a thread per emitting transaction (a consent batch emits every few
# milliseconds under load) grew without bound. Transactions past these wait their turn: their
# rows are committed, and a process that dies first leaves them to the next drain.
THREADS = 4

_jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()
REMOVED = "the webhook endpoint was removed"

Stage = Callable[[], AbstractContextManager[Session]]


@dataclass
class Report:
    """What one drain did."""

    delivered: int = 0
    retry: int = 0
    failed: int = 0


def backoff(attempts: int) -> timedelta:
    """Wait after the ``attempts``-th failure: 30 s, 2 min, 8 min, ... at most 6 hours."""
    factor: int = 4 ** max(attempts - 1, 0)
    return min(FIRST_WAIT * factor, LONGEST_WAIT)


def start(engine: Engine, settings: Settings, ids: list[str]) -> None:
    """Deliver ``ids`` soon, in one of the process's ``THREADS`` delivery threads (the
    after-commit hook): never in the committing thread, never one thread per transaction."""

    def _run() -> None:
        try:
            deliver(lambda: unit_of_work(engine), settings, ids=ids)
        except Exception:  # committed work must not fail now; the queue keeps them
            log.exception("webhook delivery failed; the deliveries stay queued")

    _jobs.put(_run)
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        if len(_threads) < THREADS:
            thread = threading.Thread(target=_work, name="ombud-webhooks", daemon=True)
            thread.start()
            _threads.append(thread)


def _work() -> None:
    """A delivery thread: runs queued deliveries, one transaction's at a time, for good."""
    while True:
        _jobs.get()()


def drain(engine: Engine | None, settings: Settings, *, limit: int = 100) -> Report:
    """Deliver every due delivery, ``limit`` at a time."""
    total = Report()
    while True:
        report = deliver(lambda: unit_of_work(engine), settings, limit=limit)
        total.delivered += report.delivered
        total.retry += report.retry
        total.failed += report.failed
        if report.delivered + report.retry + report.failed < limit:
            return total


def deliver(
    stage: Stage, settings: Settings, *, ids: Sequence[str] | None = None, limit: int = 100
) -> Report:
    """Claim due deliveries, send each, record what happened."""
    report = Report()
    now = utcnow()
    worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    with stage() as session:
        rows = repository.claim(
            session, now=now, stale_before=now - LEASE, worker=worker, ids=ids, limit=limit
        )
        prepared = [(r.id, _prepare(session, settings, r)) for r in rows]
    with httpx.Client(
        timeout=settings.webhook_timeout_seconds, follow_redirects=False, verify=_tls()
    ) as http:
        for delivery_id, ready in prepared:
            status, error = _post(http, ready) if isinstance(ready, tuple) else (None, ready)
            with stage() as session:
                outcome = _record(session, settings, delivery_id, status, error)
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


@cache
def _tls() -> ssl.SSLContext:
    """The verifying TLS context every batch of deliveries shares, made as httpx makes it."""
    # A client of its own made one anew, loading the CA certificates: about 30 ms of CPU for
    # every batch, which after-commit delivery made once per emitting transaction.
    return httpx.create_ssl_context()


Prepared = tuple[str, bytes, dict[str, str]]


def _prepare(session: Session, settings: Settings, row: WebhookDelivery) -> Prepared | str:
    """(url, body, headers) signed now, or why it cannot be sent."""
    body = row.body.encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Ombud-Event": row.event,
        "Ombud-Delivery": row.id,
    }
    if row.kind == "opendsr":
        try:
            headers.update(opendsr.signed_headers(settings, body))
        except OmbudError as exc:
            return exc.message
        return row.url, body, headers
    secret = secret_for(session, settings, row.endpoint_id)
    if secret is None:
        return REMOVED
    stamp = int(utcnow().timestamp())
    headers[signing.HEADER] = signing.header(secret, stamp, body)
    return row.url, body, headers


def _post(http: httpx.Client, ready: Prepared) -> tuple[int | None, str | None]:
    url, body, headers = ready
    try:
        response = http.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"the receiver answered {response.status_code}"


def _record(
    session: Session, settings: Settings, delivery_id: str, status: int | None, error: str | None
) -> str:
    """Mark a delivery delivered, due again later, or failed; return which."""
    row = repository.delivery(session, delivery_id, lock=True)
    if row is None:
        return "failed"
    now = utcnow()
    row.claimed_by, row.last_status = None, status
    if error is None:
        row.status, row.delivered_at, row.last_error = "delivered", now, None
        return "delivered"
    row.last_error = error[:2000]
    if row.attempts >= settings.webhook_max_attempts or error == REMOVED:
        row.status = "failed"
        log.error("giving up on webhook delivery %s (%s): %s", row.id, row.event, error)
        return "failed"
    row.status, row.next_attempt_at = "pending", now + backoff(row.attempts)
    log.warning("webhook delivery %s failed (attempt %d): %s", row.id, row.attempts, error)
    return "retry"
