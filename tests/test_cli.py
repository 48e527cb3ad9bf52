"""The ``ombud`` command: store upgrade, staff users and tokens, help texts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from sqlalchemy import select
from typer.main import get_command
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.clock import utcnow
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
    assert "up to date" in res.output and "created" not in res.output


def test_db_upgrade_says_when_it_created_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMBUD_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    get_settings.cache_clear()
    try:
        first = runner.invoke(app, ["db", "upgrade"])
        second = runner.invoke(app, ["db", "upgrade"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "created a new store at" in first.output
    assert "created" not in second.output and "up to date" in second.output


def _commands(command: Any, path: list[str]) -> Iterator[list[str]]:
    yield path
    # Typer's group is not a click.Group subclass any more: look for the group's methods.
    if hasattr(command, "list_commands"):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            yield from _commands(command.get_command(ctx, name), [*path, name])


def test_every_help_reads_cleanly() -> None:
    """No Python type names in brackets, no {argument} braces, no raw backticks, no None."""
    noise = re.compile(r"<(?:str|int|bool|path|float|hex|file)[^>]*>|\{[a-z_]+\}|`|\bNone\b")
    paths = list(_commands(get_command(app), []))
    assert ["requests", "approve"] in paths and ["users", "notifications"] in paths
    for path in paths:
        res = runner.invoke(app, [*path, "--help"], terminal_width=100)
        assert res.exit_code == 0, (path, res.output)
        found = noise.findall(res.output)
        assert not found, f"ombud {' '.join(path)} --help shows {found}:\n{res.output}"
    shown = runner.invoke(app, ["tokens", "create", "--help"], terminal_width=100).output
    assert "Usage: ombud tokens create [OPTIONS] EMAIL" in shown
    assert "INTEGER" in shown and "TEXT" in shown


def test_metrics_defaults_to_this_year(cli_store: str) -> None:
    res = runner.invoke(app, ["requests", "metrics", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["year"] == utcnow().year


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
