"""Fixtures: the shop database on SQLite, PostgreSQL and MariaDB, and its data map."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from ombud.datamap.loader import parse_files, read_files
from ombud.datamap.schemas import DataMap
from tests.execution import shop


@dataclass
class Target:
    """A populated shop database."""

    kind: str
    url: str
    engine: Engine


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def target(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Target]:
    """The shop database on each engine; its URL is in ``OMBUD_TEST_SHOP_URL``."""
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
    else:
        url = request.getfixturevalue("postgres_url" if kind == "postgresql" else "mysql_url")
    engine = create_engine(url)
    shop.populate(engine)
    monkeypatch.setenv(shop.URL_VAR, url)
    yield Target(kind, url, engine)
    engine.dispose()


@pytest.fixture
def shop_map() -> DataMap:
    """The shop's data map, read for structure only (it keeps an unreachable collection)."""
    return parse_files(read_files(shop.DATAMAP))


from tests.execution.test_api_run import system  # noqa: E402,F401  (shared fixture)
from tests.execution.test_lifecycle import store  # noqa: E402,F401  (shared fixture)
