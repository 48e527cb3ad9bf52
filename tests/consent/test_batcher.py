"""Group commit of single decisions: concurrent decisions share a transaction, each caller
gets its own receipt or its own error, and a failed transaction leaves nothing half-written."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.config import Settings
from ombud.consent import repository, service
from ombud.consent.batcher import DecisionBatcher, Prepare, batcher_for
from ombud.consent.ledger import Entry
from ombud.consent.purposes import MapInfo
from ombud.consent.schemas import DecisionCreate
from ombud.db import make_engine, unit_of_work
from ombud.errors import InvalidInput
from tests.consent.conftest import seed_officer_store
from tests.fixtures.api import make_settings
from tests.fixtures.smtp import SmtpServer


@pytest.fixture
def live(
    committed_store_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, Engine, str]]:
    """A committed store with the consent data map and an officer's token: settings, engine,
    token secret (the batcher opens its own transactions, as in production)."""
    settings = make_settings(committed_store_url, tmp_path, smtp_server)
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    engine = make_engine(committed_store_url)
    secret = seed_officer_store(engine)
    yield settings, engine, secret
    engine.dispose()


def _body(n: int, purpose: str = "newsletter") -> dict[str, Any]:
    return {
        "email": f"p{n}@example.com",
        "purpose": purpose,
        "decision": "granted",
        "method": "api",
    }


def _prepare(n: int, purpose: str = "newsletter") -> Prepare:
    item = DecisionCreate.model_validate(_body(n, purpose))

    def prepare(session: Session, info: MapInfo) -> list[Entry]:
        return service.decision_entries(session, [item], actor="test", settings=None, info=info)

    return prepare


def _records(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return repository.count_rows(session)["consent_records"]


def test_concurrent_decisions_over_http_land_with_distinct_receipts(
    live: tuple[Settings, Engine, str],
) -> None:
    settings, engine, secret = live
    app = create_app(settings)
    request_engine: Engine = app.state.engine

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            return await asyncio.gather(
                *(client.post("/api/v1/consent/decisions", json=_body(n)) for n in range(40))
            )

    responses = asyncio.run(run())
    request_engine.dispose()
    assert [r.status_code for r in responses] == [201] * 40, responses[0].text
    receipts = {r.json()["receipt_id"] for r in responses}
    assert len(receipts) == 40
    batcher = app.state.consent_batcher
    assert batcher.decisions == 40
    assert batcher.batches < 40  # they shared transactions
    with unit_of_work(engine) as session:
        for n, r in enumerate(responses):
            rec = service.get_record(session, receipt_id=r.json()["receipt_id"])
            assert rec.subject == f"p{n}@example.com"
        assert repository.count_rows(session)["consent_states"] == 40


def _batcher(engine: Engine, settings: Settings, scope: Any = None) -> DecisionBatcher:
    def default() -> AbstractContextManager[Session]:
        return unit_of_work(engine)

    return DecisionBatcher(scope or default, settings, window=0)


async def _submit_all(batcher: DecisionBatcher, prepares: list[Prepare]) -> list[Any]:
    return await asyncio.gather(*(batcher.submit(p) for p in prepares), return_exceptions=True)


def test_one_bad_decision_in_a_batch_fails_alone(live: tuple[Settings, Engine, str]) -> None:
    settings, engine, _secret = live
    batcher = _batcher(engine, settings)
    prepares = [_prepare(0), _prepare(1), _prepare(2, purpose="no_such_purpose"), _prepare(3)]
    outcomes = asyncio.run(_submit_all(batcher, prepares))
    assert batcher.batches == 1  # one transaction for the three good ones
    assert isinstance(outcomes[2], InvalidInput)
    assert "no_such_purpose" in outcomes[2].message
    good = [o for i, o in enumerate(outcomes) if i != 2]
    assert all(isinstance(o, list) and len(o) == 1 for o in good)
    assert len({o[0].receipt_id for o in good}) == 3
    assert _records(engine) == 3


def test_one_bad_decision_over_http_gets_a_4xx_and_the_others_succeed(
    live: tuple[Settings, Engine, str],
) -> None:
    settings, engine, secret = live
    app = create_app(settings)
    request_engine: Engine = app.state.engine

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {secret}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=headers
        ) as client:
            bodies = [_body(0), _body(1, purpose="nope"), _body(2)]
            return await asyncio.gather(
                *(client.post("/api/v1/consent/decisions", json=b) for b in bodies)
            )

    ok, bad, ok2 = asyncio.run(run())
    request_engine.dispose()
    assert (ok.status_code, ok2.status_code) == (201, 201)
    assert bad.status_code == 422
    assert "purpose: 'nope'" in bad.text
    assert _records(engine) == 2


def test_a_failed_batch_transaction_is_retried_one_by_one(
    live: tuple[Settings, Engine, str],
) -> None:
    settings, engine, _secret = live
    calls = []

    @contextmanager
    def fails_first(  # the batch's commit fails; the retries of single decisions commit
    ) -> Iterator[Session]:
        calls.append(1)
        with unit_of_work(engine) as session:
            yield session
            session.flush()
            if len(calls) == 1:
                raise RuntimeError("connection lost at commit")

    batcher = _batcher(engine, settings, fails_first)
    outcomes = asyncio.run(_submit_all(batcher, [_prepare(n) for n in range(3)]))
    assert all(isinstance(o, list) for o in outcomes), outcomes
    assert len(calls) == 4  # the batch, then each decision alone
    assert _records(engine) == 3


def test_a_crashing_decision_gets_its_own_error_and_nothing_half_written(
    live: tuple[Settings, Engine, str],
) -> None:
    settings, engine, _secret = live

    def crash(session: Session, info: MapInfo) -> list[Entry]:
        raise RuntimeError("bug in one decision")

    batcher = _batcher(engine, settings)
    outcomes = asyncio.run(_submit_all(batcher, [_prepare(0), crash, _prepare(1)]))
    assert isinstance(outcomes[1], RuntimeError)
    assert isinstance(outcomes[0], list) and isinstance(outcomes[2], list)
    assert _records(engine) == 2


def test_when_the_store_fails_every_caller_gets_an_error(
    live: tuple[Settings, Engine, str],
) -> None:
    settings, engine, _secret = live

    @contextmanager
    def broken() -> Iterator[Session]:
        with unit_of_work(engine) as session:
            yield session
            session.flush()  # the records were sent ...
            raise RuntimeError("store went away")  # ... but never committed

    batcher = _batcher(engine, settings, broken)
    outcomes = asyncio.run(_submit_all(batcher, [_prepare(n) for n in range(3)]))
    assert all(isinstance(o, RuntimeError) for o in outcomes), outcomes
    assert _records(engine) == 0
    assert batcher.batches == 0


def test_the_app_builds_its_batcher_from_settings(live: tuple[Settings, Engine, str]) -> None:
    settings, _engine, _secret = live
    app = create_app(settings.model_copy(update={"consent_batch_window_ms": 5.0}))

    request = Request({"type": "http", "app": app})
    batcher = batcher_for(request)
    assert batcher.window == 0.005
    assert batcher.max_items == settings.consent_batch_max
    assert batcher_for(request) is batcher
    app.state.engine.dispose()


def test_the_batcher_survives_a_new_event_loop(live: tuple[Settings, Engine, str]) -> None:
    settings, engine, _secret = live
    batcher = _batcher(engine, settings)
    first = asyncio.run(_submit_all(batcher, [_prepare(0)]))
    second = asyncio.run(_submit_all(batcher, [_prepare(1), _prepare(2)]))
    assert all(isinstance(o, list) for o in first + second)
    assert _records(engine) == 3
