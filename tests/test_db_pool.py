"""Many requests at once never starve each other of pooled connections and threads.

A request's session checks out a connection in a worker thread and keeps it until its commit,
which needs a worker thread again. With more requests in flight than the pool has connections,
the threads could all end up waiting for a connection while the connections all wait for a
thread to commit: nothing moved until the pool's timeout, and every waiting request got a 500.
``DbSession`` now waits for a free connection without holding a thread."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from ombud import app as app_module
from ombud import db
from ombud.app import create_app
from ombud.config import Settings
from ombud.consent import repository
from ombud.db import make_engine, unit_of_work
from tests.consent.conftest import seed_officer_store
from tests.fixtures.api import make_settings
from tests.fixtures.smtp import SmtpServer

# More requests at once than a process has worker threads (40) and pooled connections (15).
AT_ONCE = 150
# A deadlock then shows as pool timeouts after this many seconds, not after the default 30.
POOL_TIMEOUT = 3


@pytest.fixture
def live(
    committed_store_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, str]]:
    """A committed store with the consent data map and an officer's token; no token cache,
    so that every request checks its token in the store."""
    settings = make_settings(committed_store_url, tmp_path, smtp_server, token_cache_seconds=0)
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)

    def engine_for(url: str, **kwargs: Any) -> Engine:
        return make_engine(url, **{"pool_timeout": POOL_TIMEOUT, **kwargs})

    monkeypatch.setattr(app_module, "make_engine", engine_for)
    engine = make_engine(committed_store_url)
    secret = seed_officer_store(engine)
    engine.dispose()
    yield settings, secret


def _all_at_once(settings: Settings, secret: str, method: str, path: str) -> list[int]:
    """Status codes of ``AT_ONCE`` requests sent together to one app process."""
    application = create_app(settings)

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=application)
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers, timeout=120
        ) as client:
            return await asyncio.gather(
                *(
                    client.request(method, path, json=_decision(n) if method == "POST" else None)
                    for n in range(AT_ONCE)
                )
            )

    try:
        return [r.status_code for r in asyncio.run(run())]
    finally:
        application.state.engine.dispose()


def _decision(n: int) -> dict[str, str]:
    return {
        "email": f"p{n}@example.com",
        "purpose": "newsletter",
        "decision": "granted",
        "method": "api",
    }


def test_a_burst_of_reads_all_succeed(live: tuple[Settings, str]) -> None:
    settings, secret = live
    codes = _all_at_once(settings, secret, "GET", "/api/v1/consent/purposes")
    assert codes == [200] * AT_ONCE


def test_a_burst_of_consent_decisions_all_land(live: tuple[Settings, str]) -> None:
    settings, secret = live
    codes = _all_at_once(settings, secret, "POST", "/api/v1/consent/decisions")
    assert codes == [201] * AT_ONCE
    engine = make_engine(settings.database_url)
    try:
        with unit_of_work(engine) as session:
            assert repository.count_rows(session)["consent_states"] == AT_ONCE
    finally:
        engine.dispose()


def test_request_sessions_leave_connections_for_the_process_own_threads(
    live: tuple[Settings, str],
) -> None:
    settings, _ = live
    engine = make_engine(settings.database_url)
    try:
        slots = db.request_slots(engine)
        assert slots == db.POOL_SIZE + db.MAX_OVERFLOW - db.BACKGROUND_CONNECTIONS
    finally:
        engine.dispose()
    # Pools that never make a thread wait (one shared in-memory connection; no overflow
    # limit): no limit.
    assert db.request_slots(make_engine("sqlite://")) is None
    unlimited = make_engine(settings.database_url, max_overflow=-1)
    assert db.request_slots(unlimited) is None
    unlimited.dispose()
