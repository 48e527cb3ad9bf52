"""``ombud retention plan | run | status`` against a committed store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ombud.cli.common import console
from ombud.cli.main import app
from ombud.datamap import service as datamap_service
from ombud.db import get_engine, make_engine, unit_of_work
from tests.fixtures.api import Clock
from tests.retention import target

runner = CliRunner()


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The application database (SQLite) and the store with its data map applied."""
    engine = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    target.populate(engine)
    monkeypatch.setenv("OMBUD_TEST_RETENTION_URL", str(engine.url))
    monkeypatch.setattr(console, "_width", 250)
    return engine


def test_plan_run_and_status_commands(cli_store: str, app_db: Engine, frozen_clock: Clock) -> None:
    with unit_of_work(get_engine()) as session:
        datamap_service.apply_map(session, datamap=target.datamap(), files={}, author="test")
    plan = runner.invoke(app, ["retention", "plan", "--format", "json"])
    assert plan.exit_code == 0, plan.output
    rows = {(r["rule"], r["collection"]): r for r in json.loads(plan.output)}
    assert rows[("sessions", "app.sessions")]["to_change"] == 2
    table = runner.invoke(app, ["retention", "plan", "--rule", "tax"])
    assert "app.orders" in table.output and "issued_on + 10 years" in table.output
    assert "delete 1" in table.output
    unknown = runner.invoke(app, ["retention", "plan", "--rule", "nope"])
    assert unknown.exit_code == 1 and "no retention rule 'nope'" in unknown.output

    run = runner.invoke(app, ["retention", "run", "--rule", "sessions", "--batch", "1"])
    assert run.exit_code == 0, run.output
    assert "sessions: completed (app.sessions: 2)" in run.output
    assert target.ids(app_db, "sessions") == [1]
    status = runner.invoke(app, ["retention", "status"])
    assert status.exit_code == 0
    line = next(x for x in status.output.splitlines() if x.startswith("│ sessions"))
    assert "completed" in line and "app.sessions: 2" in line
    dispute = next(x for x in status.output.splitlines() if x.startswith("│ dispute"))
    assert "not enforced: app.notes: only reported; app.accounts: only reported" in dispute
    app_db.dispose()
