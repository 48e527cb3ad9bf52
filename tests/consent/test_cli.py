"""``ombud consent``: unsubscribe headers, suppression export and purposes on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.config import get_settings
from ombud.consent import service
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.db import unit_of_work
from tests.consent.conftest import DATAMAP_FILE

runner = CliRunner()


@pytest.fixture
def cli_store(cli_store: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shared CLI store with the consent data map and a few decisions."""
    monkeypatch.setenv("OMBUD_BASE_URL", "https://privacy.example")
    get_settings.cache_clear()
    with unit_of_work() as session:
        datamap_service.apply_map(
            session, datamap=load_datamap(DATAMAP_FILE), files={}, author="test"
        )
        for email, decision in [
            ("a@example.com", "granted"),
            ("b@example.com", "withdrawn"),
            ("c@example.com", "refused"),
            ("d@example.com", "withdrawn"),
        ]:
            service.record_decision(
                session, email=email, purpose="newsletter", decision=decision, method="import"
            )
        service.erase_subject(session, email="d@example.com")
    return cli_store


def test_unsubscribe_headers(cli_store: str) -> None:
    res = runner.invoke(
        app,
        ["consent", "unsubscribe-headers", "--email", "a@example.com", "--purpose", "newsletter"],
    )
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("List-Unsubscribe: <https://privacy.example/privacy/unsubscribe/")
    assert ">, <mailto:" in lines[0]
    assert lines[1] == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    bad = runner.invoke(
        app, ["consent", "unsubscribe-headers", "--email", "a@example.com", "--purpose", "nope"]
    )
    assert bad.exit_code == 1 and "'nope' is not a consent purpose" in bad.output


def test_export_suppression(cli_store: str, tmp_path: Path) -> None:
    out = tmp_path / "suppress.txt"
    res = runner.invoke(
        app, ["consent", "export-suppression", "--purpose", "newsletter", "--output", str(out)]
    )
    assert res.exit_code == 0, res.output
    lines = out.read_text().splitlines()
    assert sorted(line for line in lines if "@" in line) == ["b@example.com", "c@example.com"]
    hashed = [line for line in lines if line.startswith("hmac-sha256:")]
    assert len(hashed) == 1 and len(lines) == 3  # the erased person, by keyed hash only
    res = runner.invoke(app, ["consent", "export-suppression", "--purpose", "newsletter"])
    assert res.exit_code == 0 and "b@example.com" in res.output


def test_purposes(cli_store: str) -> None:
    res = runner.invoke(app, ["consent", "purposes"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for key in ("marketing.advertising", "newsletter", "privacy_statement_updates"):
        assert key in res.output
