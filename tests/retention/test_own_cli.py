"""``ombud retention plan | run | status`` show and apply Ombud's own rules (``ombud.*``)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ombud.cli.common import console
from ombud.cli.main import app
from ombud.datamap import service as datamap_service
from ombud.db import get_engine, unit_of_work
from ombud.models.mail import OutboxMail
from ombud.retention import own
from tests.fixtures.api import Clock, auth
from tests.retention.test_api import api
from tests.retention.test_own import EMPTY_MAP

runner = CliRunner()
__all__ = ["api"]  # the staff API fixture of test_api.py


def test_own_rules_in_plan_run_and_status(
    cli_store: str, frozen_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "_width", 250)
    old = frozen_clock.now.replace(year=2025)
    with unit_of_work(get_engine()) as session:
        datamap_service.apply_map(session, datamap=EMPTY_MAP, files={}, author="test")
        session.add(OutboxMail(
            to="m@x.test", subject="s", body=None, headers={}, message_id="<m1>",
            status="sent", attempts=1, next_attempt_at=old, created_at=old, sent_at=old,
        ))  # fmt: skip

    plan = runner.invoke(app, ["retention", "plan", "--rule", "ombud.mail", "--format", "json"])
    assert plan.exit_code == 0, plan.output
    rows = {r["collection"]: r for r in json.loads(plan.output)}
    assert rows["mail_outbox"]["to_change"] == 1 and rows["mail_outbox"]["period"] == "30 days"
    full = runner.invoke(app, ["retention", "plan", "--format", "json"])
    assert {r["rule"] for r in json.loads(full.output)} == {r.key for r in own.RULES}
    unknown = runner.invoke(app, ["retention", "plan", "--rule", "ombud.nothing"])
    assert unknown.exit_code == 1 and "ombud.requests" in unknown.output

    run = runner.invoke(app, ["retention", "run", "--rule", "ombud.mail"])
    assert run.exit_code == 0, run.output
    assert "ombud.mail: completed (mail_outbox: 1)" in run.output
    with Session(get_engine()) as session:
        assert session.query(OutboxMail).count() == 0

    status = runner.invoke(app, ["retention", "status"])
    assert status.exit_code == 0, status.output
    mail = next(x for x in status.output.splitlines() if x.startswith("│ ombud.mail"))
    assert "completed" in mail and "mail_outbox: 1" in mail
    consent = next(x for x in status.output.splitlines() if x.startswith("│ ombud.consent"))
    assert "never" in consent and "yes" in consent  # never run: overdue


def test_own_rules_over_the_api(api: tuple[TestClient, dict[str, str], Engine]) -> None:
    client, tokens, _ = api
    officer = auth(tokens["privacy_officer"])
    plan = client.get("/api/v1/retention/plan", params={"rule": "ombud.consent"}, headers=officer)
    assert plan.status_code == 200, plan.text
    assert {s["collection"] for s in plan.json()["steps"]} == {
        "consent_records", "consent_records (reduced)"
    }  # fmt: skip
    everything = client.get("/api/v1/retention/plan", headers=officer).json()["steps"]
    assert {r.key for r in own.RULES} <= {s["rule"] for s in everything}
    ran = client.post("/api/v1/retention/run", json={"rule": "ombud.mail"}, headers=officer)
    assert ran.status_code == 200, ran.text
    assert [r["rule"] for r in ran.json()["rules"]] == ["ombud.mail"]
    status = client.get("/api/v1/retention/status", headers=auth(tokens["viewer"])).json()
    assert {s["rule"]: s["last_status"] for s in status}["ombud.mail"] == "completed"
    unknown = client.get("/api/v1/retention/plan", params={"rule": "ombud.x"}, headers=officer)
    assert unknown.status_code == 404 and "ombud.requests" in unknown.json()["error"]
