"""``ombud plan``, ``ombud connections test`` and ``ombud requests preview``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from ombud.cli.common import console
from ombud.cli.main import app
from ombud.config import Settings, get_settings
from ombud.db import get_engine
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of

runner = CliRunner()
MAP = ["--datamap", str(shop.DATAMAP)]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables wide enough not to wrap the names the tests look for."""
    monkeypatch.setattr(console, "_width", 250)


@pytest.fixture
def cli_env(
    store: tuple[Settings, Engine], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Settings, Engine]]:
    """The CLI pointed at the committed store."""
    settings, _engine = store
    monkeypatch.setattr("ombud.cli.execution.get_settings", lambda: settings)
    monkeypatch.setenv("OMBUD_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield store
    get_engine().dispose()
    get_engine.cache_clear()
    get_settings.cache_clear()


def test_plan_prints_order_references_and_unreachable() -> None:
    res = runner.invoke(app, ["plan", "--request-type", "erasure", *MAP])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "Plan for erasure requests in dataset shop" in res.output
    first = next(i for i, line in enumerate(lines) if "│ cart_items" in line)
    assert first < next(i for i, line in enumerate(lines) if "│ carts " in line)
    assert "carts.id → cart_id" in res.output
    assert "delete" in res.output and "kept: billing_name, amount_cents" in res.output
    assert "shop.legacy_log" in res.output
    access = runner.invoke(app, ["plan", "--request-type", "access", *MAP])
    assert "email (email)" in access.output and "export id, email, name, phone" in access.output


def test_connections_test_ok_and_failure(target: Target, monkeypatch: pytest.MonkeyPatch) -> None:
    res = runner.invoke(app, ["connections", "test", "shop_db", *MAP])
    assert res.exit_code == 0, res.output
    assert "ok" in res.output
    monkeypatch.setenv(shop.URL_VAR, "mysql+pymysql://root:hunter2@127.0.0.1:1/shop")
    bad = runner.invoke(app, ["connections", "test", "shop_db", *MAP])
    assert bad.exit_code == 1
    assert "connection 'shop_db'" in bad.output and "hunter2" not in bad.output


def test_preview_lists_rows_and_changes_nothing(
    target: Target, cli_env: tuple[Settings, Engine]
) -> None:
    _settings, engine = cli_env
    rid = add_request(engine, "erasure", 5)
    before = shop.snapshot(target.engine)
    res = runner.invoke(app, ["requests", "preview", rid, *MAP])
    assert res.exit_code == 0, res.output
    assert "shop.carts" in res.output and "id: 5" in res.output
    assert "billing_name" in res.output  # kept
    assert "not searched" in res.output and "legacy_log" in res.output
    assert shop.snapshot(target.engine) == before
    assert status_of(engine, rid).status == "approved"


def test_preview_of_a_rectification_lists_old_and_new_values(
    target: Target, cli_env: tuple[Settings, Engine]
) -> None:
    _settings, engine = cli_env
    rid = add_request(engine, "rectification", 5, rectification={"user.name": "Pat Five"})
    before = shop.snapshot(target.engine)
    res = runner.invoke(app, ["requests", "preview", rid, *MAP])
    assert res.exit_code == 0, res.output
    assert "Values that would change" in res.output
    (line,) = [x for x in res.output.splitlines() if "'Pat Five'" in x]
    assert "shop.customers" in line and "'Person 5'" in line and "name" in line
    assert (
        "not changed: shop.invoices.billing_name (2 row(s)): kept as it is under a legal hold"
        in (res.output)
    )
    assert shop.snapshot(target.engine) == before
