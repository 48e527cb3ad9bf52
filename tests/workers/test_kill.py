"""A worker killed (SIGKILL) in the middle of an erasure batch: another worker finishes it,
the target ends as after an uninterrupted run, and each person gets one completion letter,
although the work also arrives twice more (a redelivered and a duplicated message)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select

from ombud.config import Settings
from ombud.db import make_engine, unit_of_work
from ombud.execution.runner import STALL_ENV
from ombud.execution.tasks import run_pending
from ombud.migrations import upgrade
from ombud.models.requests import PrivacyRequest
from ombud.workers.dispatch import dispatcher
from tests.execution import shop
from tests.fixtures.smtp import SmtpServer
from tests.workers.conftest import Broker
from tests.workers.helpers import (
    add_request,
    prepare_shop,
    start_worker,
    stop,
    wait_until,
    worker_env,
)
from tests.workers.test_recovery import _with_broker

PEOPLE = 12


def _statuses(engine: Engine) -> dict[str, int]:
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(PrivacyRequest.status, func.count()).group_by(PrivacyRequest.status)
        )
        return {str(s): int(n) for s, n in rows}


def _ids(engine: Engine) -> list[str]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(PrivacyRequest.id)))


def _dump(engine: Engine) -> str:
    """The SQLite database as SQL text (schema and every row): equal text, equal contents."""
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        return "\n".join(raw.iterdump())


def _uninterrupted(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[object, str]:
    """The same erasures, run in this process on a fresh store and a fresh shop."""
    url = f"sqlite:///{tmp_path / 'reference-store.db'}"
    upgrade(url)
    engine = make_engine(url)
    target = create_engine(f"sqlite:///{tmp_path / 'reference-shop.db'}")
    try:
        prepare_shop(engine, target, PEOPLE)
        for n in range(1, PEOPLE + 1):
            add_request(engine, "erasure", n)
        monkeypatch.setenv(shop.URL_VAR, str(target.url))
        reports = run_pending(engine, settings=settings.model_copy(update={"database_url": url}))
        assert {r.status for r in reports} == {"completed"}
        return shop.snapshot(target), _dump(target)
    finally:
        engine.dispose()
        target.dispose()


def test_sigkill_mid_batch_another_worker_finishes(
    broker: Broker,
    store: tuple[Settings, Engine],
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, engine = store
    shop_url = f"sqlite:///{tmp_path / 'shop.db'}"
    target = create_engine(shop_url)
    prepare_shop(engine, target, PEOPLE)
    for n in range(1, PEOPLE + 1):
        add_request(engine, "erasure", n)
    env = worker_env(settings, broker, shop_url)
    before = shop.snapshot(target)

    # The first worker stops after the batch's commit to the shop, before it journals the
    # steps done or completes a request: killed there, whatever the machine's speed.
    first = start_worker({**env, STALL_ENV: "1"})
    try:
        # The requeue job sends the approved requests (a loaded machine may take a while to
        # start a worker).
        started = wait_until(
            lambda: _statuses(engine).get("in_progress", 0) > 0 and shop.snapshot(target) != before,
            timeout=120,
        )
    finally:
        said = stop(first, signal.SIGKILL)
    assert started, f"{_statuses(engine)}; the first worker said: {said[-3000:]}"
    assert _statuses(engine).get("completed", 0) == 0

    # And the same work twice more, as a redelivery and a duplicate would bring it: the second
    # worker takes both copies at once (two threads), the store lets one of them do it.
    ids = _ids(engine)
    for _ in range(2):
        dispatcher(_with_broker(settings, broker)).wake(ids)
    second = start_worker(env, concurrency=2)
    try:
        finished = wait_until(lambda: _statuses(engine) == {"completed": PEOPLE}, timeout=180)
        # Letters leave after the commit that completes each request.
        letters = wait_until(lambda: len(smtp_server.mailbox.messages) >= PEOPLE, timeout=20)
    finally:
        log = stop(second)
    assert finished, f"{_statuses(engine)}; worker said: {log[-3000:]}"
    assert letters, log[-3000:]

    for n in range(1, PEOPLE + 1):
        assert len(smtp_server.mailbox.to(shop.email(n))) == 1, f"person {n}"
    assert len(smtp_server.mailbox.messages) == PEOPLE
    snapshot, dump = _uninterrupted(settings, tmp_path, monkeypatch)
    assert shop.snapshot(target) == snapshot
    assert _dump(target) == dump  # byte for byte, as SQL text
    target.dispose()
