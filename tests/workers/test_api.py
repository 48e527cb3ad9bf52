"""With a broker the API only sends messages: an approval becomes "run these requests"."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine
from typer.testing import CliRunner

from ombud.app import create_app
from ombud.cli.main import app as cli
from ombud.config import Settings, get_settings
from ombud.db import unit_of_work
from ombud.staff import service as staff_service
from ombud.workers import dispatch
from ombud.workers.celery_app import RUN_REQUESTS
from tests.fixtures.api import auth
from tests.workers.conftest import Broker
from tests.workers.helpers import prepare_shop
from tests.workers.test_recovery import _queued, _with_broker


def _token(engine: Engine) -> str:
    with unit_of_work(engine) as session:
        staff_service.create_user(
            session, email="officer@staff.test", password="correct horse battery", role="admin"
        )
        return staff_service.create_token(session, email="officer@staff.test", name="t").secret


def test_bulk_approval_is_sent_to_the_workers_in_chunks(
    broker: Broker, store: tuple[Settings, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "CHUNK", 3)
    settings, engine = store
    settings = _with_broker(settings, broker)
    target = create_engine("sqlite://")
    prepare_shop(engine, target, 1)  # the map gives the intake its organisation
    token = _token(engine)
    items = [
        {
            "type": "access",
            "email": f"p{n}@example.test",
            "country": "DE",
            "identity_verified": True,
            "verification_note": "ID card",
        }
        for n in range(5)
    ]
    with TestClient(create_app(settings)) as client:
        made = client.post("/api/v1/requests/bulk", json={"items": items}, headers=auth(token))
        assert made.status_code == 200, made.text
        ids = [i["id"] for i in made.json()["items"]]
        res = client.post("/api/v1/requests/approve", json={"ids": ids}, headers=auth(token))
        assert res.status_code == 200 and res.json()["done"] == len(ids)
        # Nothing ran in the API process: the requests wait for a worker.
        one = client.get(f"/api/v1/requests/{ids[0]}", headers=auth(token)).json()
        assert one["status"] == "approved"
    queued = _queued(settings)
    assert [name for name, _ in queued] == [RUN_REQUESTS, RUN_REQUESTS]
    assert [len(part) for _, part in queued] == [3, 2]
    assert sorted(i for _, part in queued for i in part) == sorted(ids)
    target.dispose()


def test_worker_command_needs_a_broker(cli_store: str) -> None:
    get_settings.cache_clear()
    res = CliRunner().invoke(cli, ["worker"])
    assert res.exit_code == 2
    assert "OMBUD_BROKER_URL is not set" in res.output


def test_worker_threads_stay_within_the_connections_a_process_opens(cli_store: str) -> None:
    from ombud import db
    from ombud.cli.worker import MAX_THREADS

    assert MAX_THREADS == db.POOL_SIZE + db.MAX_OVERFLOW - db.BACKGROUND_CONNECTIONS
    res = CliRunner().invoke(cli, ["worker", f"--concurrency={MAX_THREADS + 1}"])
    assert res.exit_code == 2
    assert "--concurrency" in res.output and f"less than or equal to {MAX_THREADS}" in res.output


def test_jobs_command_lists_each_job_and_its_last_run(
    cli_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from ombud.cli.common import console
    from ombud.db import get_engine
    from ombud.workers import repository

    monkeypatch.setattr(console, "_width", 200)  # one line per job

    with unit_of_work(get_engine()) as session:
        slot = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
        assert repository.claim_slot(session, "retention", slot, holder="h:1", now=slot)
        repository.finish(session, "retention", now=slot, error="RuntimeError: down")
    res = CliRunner().invoke(cli, ["jobs"])
    assert res.exit_code == 0, res.output
    assert "housekeeping" in res.output and "every 60 s" in res.output
    assert "2026-03-02 03:30:00" in res.output and "RuntimeError: down" in res.output
    assert "off (workers only)" in res.output  # requeue, without a broker
