"""``ombud complaints list | show | metrics`` against a committed store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ombud.cli.common import console
from ombud.cli.main import app
from ombud.complaints import service
from ombud.complaints.schemas import ComplaintCreate
from ombud.db import get_engine, unit_of_work

runner = CliRunner()


def test_list_show_metrics(cli_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_width", 250)
    with unit_of_work(get_engine()) as session:
        row = service.submit(
            session,
            data=ComplaintCreate(about="general", email="cli@example.test", text="[bold]Hi[/]"),
            source="api",
        )
        ref = row.reference
    listed = runner.invoke(app, ["complaints", "list"])
    assert listed.exit_code == 0, listed.output
    assert ref in listed.output and "1 complaint(s)" in listed.output
    shown = runner.invoke(app, ["complaints", "show", ref])
    assert shown.exit_code == 0 and "[bold]Hi[/]" in shown.output  # text, never markup
    missing = runner.invoke(app, ["complaints", "show", "C-NOTHERE"])
    assert missing.exit_code == 1 and "no complaint" in missing.output
    metrics = runner.invoke(app, ["complaints", "metrics"])
    assert json.loads(metrics.output)["open"] == 1
    bad = runner.invoke(app, ["complaints", "list", "--status", "lost"])
    assert bad.exit_code == 1 and "unknown status" in bad.output
