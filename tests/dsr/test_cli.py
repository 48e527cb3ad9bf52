"""``ombud requests list|show|purge|metrics`` against a committed store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.db import get_engine, unit_of_work
from ombud.dsr import service
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.models.requests import PrivacyRequest, RequestMessage
from tests.dsr.conftest import DATAMAP_FILE, code_from, store_datamap
from tests.fixtures.api import Clock
from tests.fixtures.smtp import SmtpServer

runner = CliRunner()


@pytest.fixture
def cli_env(cli_store: str, smtp_server: SmtpServer) -> SmtpServer:
    """The shared CLI store holding the request tests' data map."""
    with unit_of_work() as session:
        store_datamap(session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
    return smtp_server
    get_engine.cache_clear()


def _request(smtp: SmtpServer, email: str, kind: str, outcome: str) -> str:
    with unit_of_work() as session:
        data = PrivacyRequestCreate.model_validate({"type": kind, "email": email})
        rid = service.submit(session, data=data, source="api").id
    with unit_of_work() as session:
        assert service.verify(session, rid, code=code_from(smtp.mailbox, email)).ok
        if outcome == "denied":
            service.deny(session, rid, actor="dpo", reason="manifestly unfounded")
        elif outcome == "completed":
            service.approve(session, rid, actor="dpo")
            service.start_execution(session, rid, actor="x")
            service.complete_execution(session, rid, actor="x", result={})
    return rid


def test_metrics_and_purge(cli_env: SmtpServer, frozen_clock: Clock) -> None:
    frozen_clock.set(datetime(2025, 3, 2, 9, tzinfo=UTC))
    done = _request(cli_env, "a@example.test", "access", "")
    frozen_clock.advance(days=4)
    with unit_of_work() as session:
        service.approve(session, done, actor="dpo")
        service.start_execution(session, done, actor="x")
        service.complete_execution(session, done, actor="x", result={})
    _request(cli_env, "b@example.test", "access", "denied")
    _request(cli_env, "c@example.test", "erasure", "")

    res = runner.invoke(app, ["requests", "metrics", "--year", "2025", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = {r["type"]: r for r in json.loads(res.output)["types"]}
    assert rows["access"]["received"] == 2 and rows["access"]["complied_whole_or_part"] == 1
    assert rows["access"]["denied"] == 1
    assert rows["access"]["mean_days_to_respond"] == 2.0
    assert rows["access"]["median_days_to_respond"] == 2.0
    assert rows["erasure"]["received"] == 1 and rows["erasure"]["complied_whole_or_part"] == 0
    csv_out = runner.invoke(app, ["requests", "metrics", "--year", "2025", "--format", "csv"])
    assert csv_out.output.splitlines()[0].startswith("type,received,complied_whole_or_part")

    listed = runner.invoke(app, ["requests", "list"])
    assert listed.exit_code == 0 and "1 request(s)" in listed.output

    frozen_clock.set(datetime(2027, 3, 1, 9, tzinfo=UTC))
    assert "purged 0 request(s)" in runner.invoke(app, ["requests", "purge"]).output
    frozen_clock.set(datetime(2027, 3, 10, 9, tzinfo=UTC))
    res = runner.invoke(app, ["requests", "purge"])
    assert res.exit_code == 0 and "purged 2 request(s)" in res.output
    with unit_of_work() as session:
        purged = session.scalars(
            select(PrivacyRequest).where(PrivacyRequest.purged_at.is_not(None))
        ).all()
        assert len(purged) == 2
        assert all(r.email is None and r.identities == {} for r in purged)
        ids = [r.id for r in purged]
        left = session.scalar(
            select(func.count())
            .select_from(RequestMessage)
            .where(RequestMessage.request_id.in_(ids))
        )
        assert left == 0
    after = runner.invoke(app, ["requests", "metrics", "--year", "2025", "--format", "json"])
    assert json.loads(after.output)["types"] == list(rows.values())


def test_show_unknown_request_is_clear(cli_env: SmtpServer) -> None:
    res = runner.invoke(app, ["requests", "show", "nope"])
    assert res.exit_code == 1 and "'nope' is not a request id" in res.output
    res = runner.invoke(app, ["requests", "show", "0000abcd"])
    assert res.exit_code == 1 and "no privacy request with an id starting with 0000abcd" in (
        res.output
    )


def test_show_lists_verified_identities_and_hints_as_text(cli_env: SmtpServer) -> None:
    with unit_of_work() as session:
        data = PrivacyRequestCreate.model_validate(
            {"type": "access", "email": "lin@example.test", "phone": "[red]555-0100[/red]"}
        )
        rid = service.submit(session, data=data, source="web").id
    with unit_of_work() as session:
        assert service.verify(session, rid, code=code_from(cli_env.mailbox, "lin@example.test")).ok
    result = runner.invoke(app, ["requests", "show", rid])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "searches with (verified): email=lin@example.test" in out
    assert "phone=[red]555-0100[/red] (raw, from web) pending" in out
