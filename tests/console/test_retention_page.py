"""``/staff/retention``: the plan per rule (past the period, held and by which hold, to change,
oldest), the status (last run, removed, overdue) and "run now" for privacy officers, on a
committed store and a small application database, as the retention API tests do."""

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
from tests.console.conftest import PASSWORD, sign_in
from tests.fixtures.api import Clock, make_settings
from tests.fixtures.smtp import SmtpServer
from tests.retention import target

OFFICER, VIEWER = "officer@retention.test", "viewer@retention.test"


@pytest.fixture
def live(
    committed_store_url: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: Clock,
) -> Iterator[tuple[TestClient, Engine]]:
    """The app on a committed store with the retention test map, and the application database."""
    app_db = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    target.populate(app_db)
    monkeypatch.setenv("OMBUD_TEST_RETENTION_URL", str(app_db.url))
    settings = make_settings(committed_store_url, tmp_path, smtp_server)
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    engine = make_engine(committed_store_url)
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=target.datamap(), files={}, author="test")
        for email, role in ((OFFICER, "privacy_officer"), (VIEWER, "viewer")):
            staff_service.create_user(session, email=email, password=PASSWORD, role=role)
    with TestClient(create_app(settings)) as client:
        yield client, app_db
    engine.dispose()
    app_db.dispose()


def _row(html: str, marker: str) -> str:
    """The table row containing ``marker``."""
    start = html.index(marker)
    return html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]


def test_officer_sees_the_plan_and_runs_a_rule(live: tuple[TestClient, Engine]) -> None:
    client, app_db = live
    token = sign_in(client, OFFICER)
    page = client.get("/staff/retention")
    assert page.status_code == 200
    sessions = _row(page.text, "<code>app.sessions</code>")
    assert ">delete<" in sessions and ">2<" in sessions  # two sessions past 90 days
    assert "days" in sessions  # the oldest one's age
    accounts = _row(page.text, "<code>app.accounts</code>")
    # The dispute hold keeps accounts closed within a year; notes still point at others.
    assert "1 by dispute" in accounts and "3 still referenced" in accounts
    assert "ombud.requests" in page.text or "Privacy requests" in page.text  # Ombud's own rules
    status = _row(page.text, '<td data-label="Rule">sessions')
    assert "never" in status and "overdue" in status
    res = client.post("/staff/retention/run", data={"csrf_token": token, "rule": "sessions"})
    assert res.status_code == 200
    assert "The run just now" in res.text and "app.sessions: 2" in res.text
    assert target.ids(app_db, "sessions") == [1]
    status = _row(res.text, '<td data-label="Rule">sessions')
    assert "completed" in status and "on time" in status and "app.sessions: 2" in status
    res = client.post("/staff/retention/run", data={"csrf_token": token, "rule": "nope"})
    assert res.status_code == 404 and "no retention rule &#39;nope&#39;" in res.text


def test_viewer_sees_the_status_only_and_cannot_run(live: tuple[TestClient, Engine]) -> None:
    client, app_db = live
    token = sign_in(client, VIEWER)
    page = client.get("/staff/retention")
    assert page.status_code == 200 and "Status per rule" in page.text
    assert "Run now" not in page.text and "needs the privacy officer role" in page.text
    assert "<code>app.sessions</code>" not in page.text  # no plan: it counts in the databases
    res = client.post("/staff/retention/run", data={"csrf_token": token}, follow_redirects=False)
    assert res.status_code == 403
    assert target.ids(app_db, "sessions") == [1, 2, 3]
