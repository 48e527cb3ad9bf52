"""One set of settings for CLI and server: ``OMBUD_CONFIG``/``ombud.env``, the demo's file,
and servers and workers that refuse to start without a strong key."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ombud.app import create_app
from ombud.cli.main import app
from ombud.config import get_settings
from ombud.db import get_engine
from ombud.demo import setup
from ombud.keys import SecretKeyError
from tests.fixtures.api import TEST_SECRET_KEY

runner = CliRunner()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No OMBUD_* variable set, an empty working folder; caches reset before and after."""
    for name in [k for k in os.environ if k.startswith("OMBUD_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield
    for name in [k for k in os.environ if k.startswith("OMBUD_")]:
        del os.environ[name]
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_serve_refuses_to_start_without_a_key(clean_env: None) -> None:
    res = runner.invoke(app, ["serve", "--port", "1"])
    assert res.exit_code == 2
    assert "OMBUD_SECRET_KEY is not set" in res.output and "token_urlsafe" in res.output


def test_serve_and_workers_refuse_a_weak_key(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMBUD_SECRET_KEY", "change-me-in-production")
    for command in (["serve", "--port", "1"], ["requests", "run"]):
        res = runner.invoke(app, command)
        assert res.exit_code == 2, res.output
        assert "OMBUD_SECRET_KEY" in res.output and "change-me" not in res.output


def test_the_app_refuses_to_start_without_a_key(clean_env: None) -> None:
    with pytest.raises(SecretKeyError, match="OMBUD_SECRET_KEY"):
        create_app()


def test_settings_come_from_ombud_env_in_the_working_folder(
    clean_env: None, tmp_path: Path
) -> None:
    (tmp_path / "ombud.env").write_text(
        f"OMBUD_SECRET_KEY={TEST_SECRET_KEY}\nOMBUD_BASE_URL=https://privacy.example\n",
        encoding="utf-8",
    )
    assert get_settings().base_url == "https://privacy.example"


def test_environment_wins_over_the_file(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "elsewhere.env"
    config.write_text("OMBUD_BASE_URL=https://from-file.example\n", encoding="utf-8")
    monkeypatch.setenv("OMBUD_CONFIG", str(config))
    assert get_settings().base_url == "https://from-file.example"
    get_settings.cache_clear()
    monkeypatch.setenv("OMBUD_BASE_URL", "https://from-env.example")
    assert get_settings().base_url == "https://from-env.example"


def test_a_missing_config_file_is_named(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMBUD_CONFIG", str(tmp_path / "nope.env"))
    res = runner.invoke(app, ["serve"])
    assert res.exit_code == 2
    assert "OMBUD_CONFIG" in res.output and "nope.env" in res.output


def test_demo_settings_file_serves_other_shells(
    clean_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = setup.init_demo(tmp_path / "demo", people=30).directory
    env_file = setup.use_demo_settings(where, base_url="http://127.0.0.1:8000")
    setup.prepare_store(where)
    for path in (env_file, where / setup.MARKER):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = os.environ["OMBUD_SECRET_KEY"]
    assert key in env_file.read_text(encoding="utf-8")

    # Another shell: nothing set but OMBUD_CONFIG, started in another folder. (Plain dels:
    # these variables were set by the demo, and monkeypatch would restore them afterwards.)
    for name in [k for k in os.environ if k.startswith("OMBUD_")]:
        del os.environ[name]
    os.environ["OMBUD_CONFIG"] = str(env_file)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    get_engine.cache_clear()
    listed = runner.invoke(app, ["requests", "list"])
    assert listed.exit_code == 0, listed.output
    # The demo's own store: its sample requests are listed (a new, empty store would say 0).
    assert re.search(r"\b[1-9][0-9]* request\(s\)", listed.output), listed.output
    made = runner.invoke(
        app,
        ["consent", "unsubscribe-headers", "--email", "eve@example.com", "--purpose", "newsletter"],
    )
    assert made.exit_code == 0, made.output
    link = made.output.split("<", 1)[1].split(">", 1)[0]
    assert link.startswith("http://127.0.0.1:8000/privacy/unsubscribe/")

    # The server reads the same file: the link the CLI signed opens there.
    with TestClient(create_app()) as client:
        page = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200, page.text
    assert "Postlicht newsletter" in page.text
    get_engine().dispose()


def test_a_weak_key_is_a_message_not_a_traceback(
    clean_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMBUD_SECRET_KEY", "short")
    res = runner.invoke(app, ["requests", "list"])
    assert res.exit_code == 2
    assert "invalid settings: OMBUD_SECRET_KEY" in " ".join(res.output.split())
    assert "Traceback" not in res.output and "short" not in res.output
