"""``ombud audit verify`` and ``show`` on a committed store after a real request lifecycle."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.db import unit_of_work
from ombud.dsr import service
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.models.audit import AuditEntry
from tests.dsr.conftest import DATAMAP_FILE, code_from, store_datamap
from tests.fixtures.smtp import SmtpServer

runner = CliRunner()


@pytest.fixture
def cli_store(cli_store: str, smtp_server: SmtpServer) -> str:
    """The shared CLI store holding one approved request; returns its id."""
    with unit_of_work() as session:
        store_datamap(session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
        data = PrivacyRequestCreate(type="access", email="audit@example.test")
        rid = service.submit(session, data=data, source="api").id
    with unit_of_work() as session:
        code = code_from(smtp_server.mailbox, "audit@example.test")
        assert service.verify(session, rid, code=code).ok
        service.approve(session, rid, actor="dpo@staff.test")
    return rid


def test_intact_log_verifies(cli_store: str) -> None:
    res = runner.invoke(app, ["audit", "verify"])
    assert res.exit_code == 0, res.output
    assert "audit log intact" in res.output and "entries verified" in res.output


def test_edited_entry_is_named(cli_store: str) -> None:
    with unit_of_work() as session:
        target = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "request.status_changed")
            .order_by(AuditEntry.seq)
        ).all()[-1]
        seq = target.seq
        session.execute(
            update(AuditEntry).where(AuditEntry.id == target.id).values(actor="mallory")
        )
    res = runner.invoke(app, ["audit", "verify"])
    assert res.exit_code == 1
    assert f"entry #{seq}" in res.output and "edited" in res.output


def test_deleted_entry_is_named(cli_store: str) -> None:
    with unit_of_work() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    res = runner.invoke(app, ["audit", "verify"])
    assert res.exit_code == 1 and "entry #3" in res.output


def test_show_subject(cli_store: str) -> None:
    res = runner.invoke(app, ["audit", "show", "--subject", cli_store, "--json"])
    assert res.exit_code == 0, res.output
    assert "request.received" in res.output and "request.status_changed" in res.output
    assert "audit@example.test" not in res.output
