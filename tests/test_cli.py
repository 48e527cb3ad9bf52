"""The ``ombud`` command: store upgrade, staff users and tokens, help texts."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.config import get_settings
from ombud.db import unit_of_work
from ombud.models.staff import ApiToken
from ombud.staff import service

runner = CliRunner()


def test_help_lists_commands() -> None:
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for command in ("serve", "db", "datamap", "users", "tokens", "requests"):
        assert command in res.output


def test_db_upgrade_is_repeatable(cli_store: str) -> None:
    res = runner.invoke(app, ["db", "upgrade"])
    assert res.exit_code == 0, res.output
    assert "up to date" in res.output


def test_db_upgrade_unreachable_store_is_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMBUD_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    try:
        res = runner.invoke(app, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 1
    assert "cannot reach the store" in res.output


def test_users_and_tokens_create(cli_store: str) -> None:
    res = runner.invoke(
        app,
        ["users", "create", "dpo@example.test", "--role", "privacy_officer"],
        env={"OMBUD_NEW_PASSWORD": "a very long password"},
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["tokens", "create", "dpo@example.test", "--name", "ci"])
    assert res.exit_code == 0, res.output
    secret = res.output.strip().splitlines()[-1]
    assert secret.startswith("ombud_")
    with unit_of_work() as session:
        token = service.authenticate_token(session, secret)
        assert token.role == "privacy_officer"
        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert secret not in stored


def test_users_create_bad_role_is_clear(cli_store: str) -> None:
    res = runner.invoke(
        app,
        ["users", "create", "x@example.test", "--role", "root"],
        env={"OMBUD_NEW_PASSWORD": "a very long password"},
    )
    assert res.exit_code == 1
    assert "unknown role 'root'" in res.output


def test_tokens_for_unknown_user_is_clear(cli_store: str) -> None:
    res = runner.invoke(app, ["tokens", "create", "ghost@example.test"])
    assert res.exit_code == 1
    assert "no staff user" in res.output
