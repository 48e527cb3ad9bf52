"""``ombud consent``: unsubscribe headers, suppression export and purposes on a real store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.config import get_settings

runner = CliRunner()


def test_unsubscribe_headers(cli_store: str) -> None:
    res = runner.invoke(
        app,
        ["consent", "unsubscribe-headers", "--email", "a@example.com", "--purpose", "newsletter"],
    )
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].startswith("List-Unsubscribe: <https://privacy.example/privacy/unsubscribe/")
    assert ">, <mailto:unsubscribe+" in lines[0] and "@privacy.example?subject=" in lines[0]
    assert lines[1] == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
    bad = runner.invoke(
        app, ["consent", "unsubscribe-headers", "--email", "a@example.com", "--purpose", "nope"]
    )
    assert bad.exit_code == 1 and "'nope' is not a consent purpose" in bad.output


def test_unsubscribe_headers_without_mailbox_offer_https_only(
    cli_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OMBUD_UNSUBSCRIBE_MAILBOX")
    get_settings.cache_clear()
    res = runner.invoke(
        app,
        ["consent", "unsubscribe-headers", "--email", "a@example.com", "--purpose", "newsletter"],
    )
    assert res.exit_code == 0, res.output
    first = res.output.splitlines()[0]
    assert first.count("<") == 1 and "mailto:" not in first  # nobody would read that mail


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
