"""Retention over the staff API: the dry run, a run now, the status; roles and bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ombud.app import create_app
from ombud.datamap import service as datamap_service
from ombud.db import make_engine, unit_of_work
from ombud.staff import service as staff_service
from tests.fixtures.api import Clock, auth, make_settings
from tests.fixtures.smtp import SmtpServer
from tests.retention import target


@pytest.fixture
def api(
    committed_store_url: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: Clock,
) -> Iterator[tuple[TestClient, dict[str, str], Engine]]:
    """The app on a committed store with the retention test map, a token per role, and the
    application database (SQLite)."""
    app_db = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    target.populate(app_db)
    monkeypatch.setenv("OMBUD_TEST_RETENTION_URL", str(app_db.url))
    settings = make_settings(committed_store_url, tmp_path, smtp_server)
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    engine = make_engine(committed_store_url)
    tokens: dict[str, str] = {}
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=target.datamap(), files={}, author="test")
        for role in ("privacy_officer", "viewer"):
            email = f"{role}@staff.test"
            staff_service.create_user(
                session, email=email, password="long enough secret", role=role
            )
            tokens[role] = staff_service.create_token(session, email=email, name="t").secret
    with TestClient(create_app(settings)) as client:
        yield client, tokens, app_db
    engine.dispose()
    app_db.dispose()


def test_plan_run_and_status_over_the_api(api: tuple[TestClient, dict[str, str], Engine]) -> None:
    client, tokens, app_db = api
    officer, viewer = auth(tokens["privacy_officer"]), auth(tokens["viewer"])
    assert client.get("/api/v1/retention/plan").status_code == 401
    assert client.get("/api/v1/retention/plan", headers=viewer).status_code == 403
    plan = client.get("/api/v1/retention/plan", headers=officer)
    assert plan.status_code == 200
    steps = {(s["rule"], s["collection"]): s for s in plan.json()["steps"]}
    assert steps[("sessions", "app.sessions")]["to_change"] == 2
    assert target.ids(app_db, "sessions") == [1, 2, 3]

    missing = client.get("/api/v1/retention/plan", params={"rule": "nope"}, headers=officer)
    assert missing.status_code == 404 and "no retention rule 'nope'" in missing.json()["error"]
    bad = client.post("/api/v1/retention/run", json={"batch": 0}, headers=officer)
    assert bad.status_code == 422
    assert client.post("/api/v1/retention/run", json={}, headers=viewer).status_code == 403

    status = client.get("/api/v1/retention/status", headers=viewer).json()
    assert {s["rule"]: s["last_run"] for s in status}["sessions"] is None
    run = client.post("/api/v1/retention/run", json={"rule": "sessions"}, headers=officer)
    assert run.status_code == 200
    [outcome] = run.json()["rules"]
    assert outcome["status"] == "completed" and outcome["changed"] == {"app.sessions": 2}
    assert target.ids(app_db, "sessions") == [1]
    status = {s["rule"]: s for s in client.get("/api/v1/retention/status", headers=viewer).json()}
    assert status["sessions"]["last_status"] == "completed"
    assert status["sessions"]["overdue"] is False and status["tax"]["overdue"] is True
    assert status["dispute"]["enforced"] is False and status["dispute"]["overdue"] is False
    assert "only reported" in status["dispute"]["note"]
