"""Deliveries reach a real HTTP server signed; failures are retried later, then given up."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.housekeeping import run_once
from ombud.models.webhooks import WebhookDelivery
from ombud.webhooks import delivery, service, signing
from tests.fixtures.api import Clock
from tests.webhooks.receiver import Receiver, TlsReceiver


def _rows(engine: Engine) -> list[WebhookDelivery]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at)))


def _settled(engine: Engine, timeout: float = 10.0) -> list[WebhookDelivery]:
    """The deliveries once the after-commit thread has let go of them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = _rows(engine)
        if rows and all(r.status != "sending" and r.attempts > 0 for r in rows):
            return rows
        time.sleep(0.05)
    raise AssertionError("deliveries were not attempted")


def test_signed_delivery_retried_after_a_500(
    hooks_store: tuple[Settings, Engine], receiver: Receiver, frozen_clock: Clock
) -> None:
    settings, engine = hooks_store
    with unit_of_work(engine) as session:
        _endpoint, secret = service.add_endpoint(
            session, url=receiver.url, events=["request.approved"], description="", actor="t"
        )
    receiver.failures = 1
    with unit_of_work(engine) as session:
        service.emit(
            session,
            "request.approved",
            {"request_id": "r-1", "type": "erasure", "email": "person@example.test"},
        )
        service.emit(session, "consent.changed", {"purposes": ["newsletter"]})  # not wanted
    (row,) = _settled(engine)
    assert (row.status, row.attempts, row.last_status) == ("pending", 1, 500)
    assert receiver.received == []

    run_once(engine, settings)  # not due yet: the backoff holds it
    assert receiver.attempts == 1
    frozen_clock.advance(seconds=delivery.backoff(1).total_seconds() + 1)
    run_once(engine, settings)
    (got,) = receiver.wait(1)
    assert got.path == "/hook" and got.headers["Ombud-Event"] == "request.approved"
    now = int(frozen_clock.now.timestamp())
    assert signing.verify(secret, got.headers[signing.HEADER], got.body, now=now)
    header = got.headers[signing.HEADER]
    assert not signing.verify("whsec_wrong-secret-0123456789", header, got.body, now=now)
    assert not signing.verify(secret, got.headers[signing.HEADER], got.body + b" ", now=now)
    body = json.loads(got.body)
    assert body["event"] == "request.approved" and body["id"] == got.headers["Ombud-Delivery"]
    # Only references leave: the address given by mistake was dropped.
    assert body["data"] == {"request_id": "r-1", "type": "erasure"}
    (done,) = _rows(engine)
    assert (done.status, done.attempts) == ("delivered", 2)
    run_once(engine, settings)
    assert receiver.attempts == 2  # delivered once, never again


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_a_receiver_that_is_down_gets_it_later_or_it_fails_visibly(
    hooks_store: tuple[Settings, Engine], frozen_clock: Clock, receiver: Receiver
) -> None:
    settings, engine = hooks_store
    down = f"http://127.0.0.1:{_closed_port()}/hook"
    with unit_of_work(engine) as session:
        service.add_endpoint(session, url=down, events=[], description="down", actor="t")
        service.emit(session, "opt_out", {"request_id": "r-2", "purposes": ["sale"]})
    (row,) = _settled(engine)
    assert row.status == "pending" and "ConnectError" in (row.last_error or "")
    for attempt in (1, 2):
        frozen_clock.advance(seconds=delivery.backoff(attempt).total_seconds() + 1)
        report = service.drain(engine, settings)
    assert (report.failed, report.delivered) == (1, 0)
    (failed,) = _rows(engine)
    assert (failed.status, failed.attempts) == ("failed", settings.webhook_max_attempts)
    with unit_of_work(engine) as session:
        assert service.deliveries(session, status="failed")[0].id == failed.id


def test_two_drains_never_send_the_same_delivery(
    hooks_store: tuple[Settings, Engine], receiver: Receiver
) -> None:
    settings, engine = hooks_store
    with unit_of_work(engine) as session:
        service.add_endpoint(session, url=receiver.url, events=[], description="", actor="t")
    # Queued without the after-commit thread: only the drains below send them.
    with unit_of_work(engine) as session:
        for n in range(6):
            service.emit(session, "restriction.set", {"request_id": f"r-{n}"})
        session.info.pop("after_commit", None)
    threads = [
        threading.Thread(target=service.drain, args=(engine, settings), kwargs={"limit": 2})
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    got = receiver.wait(6)
    time.sleep(0.2)
    ids = [json.loads(r.body)["data"]["request_id"] for r in got]
    assert sorted(ids) == [f"r-{n}" for n in range(6)] and len(receiver.received) == 6
    assert {r.status for r in _rows(engine)} == {"delivered"}


def test_https_deliveries_share_one_verifying_tls_context(
    hooks_store: tuple[Settings, Engine],
    tls_receiver: TlsReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _settings, engine = hooks_store
    # A certificate from no CA the client trusts: refused, nothing received.
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    delivery._tls.cache_clear()
    with unit_of_work(engine) as session:
        service.add_endpoint(
            session, url=tls_receiver.state.url, events=[], description="", actor="t"
        )
        service.emit(session, "restriction.set", {"request_id": "r-untrusted"})
    (row,) = _settled(engine)
    assert "CERTIFICATE_VERIFY_FAILED" in (row.last_error or "")
    assert tls_receiver.state.received == []
    # Trusted (httpx reads SSL_CERT_FILE), then three transactions: three batches of
    # deliveries, the CA certificates loaded once for all of them (~30 ms of CPU each time).
    made: list[object] = []
    real = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(kwargs.get("cafile"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_receiver.cert))
    delivery._tls.cache_clear()
    for n in range(3):
        with unit_of_work(engine) as session:
            service.emit(session, "restriction.set", {"request_id": f"r-{n}"})
        tls_receiver.state.wait(n + 1)
    got = [json.loads(r.body)["data"]["request_id"] for r in tls_receiver.state.received]
    assert got == ["r-0", "r-1", "r-2"]
    assert made == [str(tls_receiver.cert)]


def test_a_slow_receiver_ties_up_a_few_threads_not_one_per_transaction(
    hooks_store: tuple[Settings, Engine], receiver: Receiver
) -> None:
    _, engine = hooks_store
    with unit_of_work(engine) as session:
        service.add_endpoint(
            session, url=receiver.url, events=["request.approved"], description="", actor="t"
        )
    receiver.delay = 0.2
    transactions = 40
    peak = 0
    for n in range(transactions):
        with unit_of_work(engine) as session:  # each commit hands its delivery over
            service.emit(session, "request.approved", {"request_id": f"r-{n}", "type": "access"})
        busy = [t for t in threading.enumerate() if t.name == "ombud-webhooks"]
        peak = max(peak, len(busy))
    got = receiver.wait(transactions, timeout=60)
    assert sorted(json.loads(r.body)["data"]["request_id"] for r in got) == sorted(
        f"r-{n}" for n in range(transactions)
    )
    assert 1 <= peak <= delivery.THREADS
    # The receiver has every body before its slow answers reach the threads that mark them.
    assert all(r.status == "delivered" for r in _settled(engine, timeout=30))
