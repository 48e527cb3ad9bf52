"""Unwritable erasure strategies reported by ``datamap validate --connections``, ``connections
test`` and ``requests preview``, before any request runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
from tests.execution.variants import Document, field_of, variant

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines wide enough not to wrap the messages the tests look for."""
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


def _broken(doc: Document) -> None:
    doc["policy"] = []  # the default NULL then goes into customers.email, NOT NULL
    field_of(doc, "tickets", "body")["masking_strategy_override"] = {
        "strategy": "random_string_rewrite",
        "configuration": {"length": 8},
    }
    field_of(doc, "customers", "segment")["data_categories"] = ["user.demographic"]
    field_of(doc, "customers", "segment")["masking_strategy_override"] = {
        "strategy": "hmac",
        "configuration": {},
    }


def _without_legacy_log(doc: Document) -> None:
    (dataset,) = doc["dataset"]
    dataset["collections"] = [c for c in dataset["collections"] if c["name"] != "legacy_log"]


def _write(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "map"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _position(text: str, after: str, needle: str) -> tuple[int, int]:
    """1-based line and column of ``needle``'s value on the first line after ``after``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().endswith(after))
    i = next(i for i in range(start, len(lines)) if needle in lines[i])
    return i + 1, lines[i].index(needle) + 1


def test_validate_with_connections_reports_each_problem_at_its_field(
    target: Target, tmp_path: Path
) -> None:
    _, files = variant(_broken)
    folder = _write(tmp_path, files)
    res = runner.invoke(app, ["datamap", "validate", str(folder), "--connections"])
    assert res.exit_code == 1, res.output
    text = files["shop.yml"]
    line, column = _position(text, "name: customers", "email")
    assert (
        f"{folder / 'shop.yml'}:{line}:{column}: shop.customers.email: erasure strategy null "
        "(from default: no erasure policy in the data map) cannot be written: column email "
    ) in res.output
    assert "is NOT NULL" in res.output
    # An override is reported where it is written: the thing to change.
    override, _ = _position(text, "name: segment", "masking_strategy_override")
    assert f"shop.yml:{override}:" in res.output
    assert "shop.customers.segment" in res.output and "at most 20 characters" in res.output
    # A random string of 8 fits the ticket's text column: not a problem.
    assert "shop.tickets.body" not in res.output
    # The map's own problems come in the same pass.
    assert "collection 'shop.legacy_log' holds personal data but no identity reaches it" in (
        res.output
    )
    _, good_files = variant(_without_legacy_log)
    good_folder = _write(tmp_path / "good", good_files)
    good = runner.invoke(app, ["datamap", "validate", str(good_folder), "--connections"])
    assert good.exit_code == 0, good.output
    assert "erasure strategies fit their columns" in good.output


def test_validate_with_connections_reports_an_unreachable_database(
    target: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(shop.URL_VAR, "postgresql+psycopg://ombud:topsecret@127.0.0.1:1/shop")
    res = runner.invoke(app, ["datamap", "validate", str(shop.DATAMAP), "--connections"])
    assert res.exit_code == 1
    assert "shop.yml:14:" in res.output and "connection 'shop_db'" in res.output
    assert "topsecret" not in res.output


def test_connections_test_and_preview_name_unwritable_strategies(
    target: Target, tmp_path: Path, cli_env: tuple[Settings, Engine]
) -> None:
    _, engine = cli_env
    _, files = variant(_broken)
    folder = _write(tmp_path, files)
    res = runner.invoke(app, ["connections", "test", "shop_db", "--datamap", str(folder)])
    assert res.exit_code == 1
    assert "ok shop_db" in res.output
    assert "cannot erase shop.customers.email: erasure strategy null" in res.output
    assert "2 erasure strategies cannot be written" in res.output
    fine = runner.invoke(app, ["connections", "test", "shop_db", "--datamap", str(shop.DATAMAP)])
    assert fine.exit_code == 0, fine.output
    rid = add_request(engine, "erasure", 2)
    before = shop.snapshot(target.engine)
    preview = runner.invoke(app, ["requests", "preview", rid, "--datamap", str(folder)])
    assert preview.exit_code == 0, preview.output
    assert "would be refused: shop.customers.email" in preview.output
    assert shop.snapshot(target.engine) == before
    assert status_of(engine, rid).status == "approved"
