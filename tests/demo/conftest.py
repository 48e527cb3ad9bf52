"""A generated demo application database shared by the demo tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import Engine, create_engine

from ombud.demo.appdb import create_schema
from ombud.demo.generate import populate

# A fixed "now" keeps generated dates identical whatever day the tests run.
NOW = datetime(2026, 6, 15)
PEOPLE = 400


@pytest.fixture(scope="session")
def demo_app_db(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Engine, dict[str, int]]]:
    """A SQLite demo application database with PEOPLE people, and its row counts."""
    path = tmp_path_factory.mktemp("demo_app") / "app.db"
    engine = create_engine(f"sqlite:///{path}")
    create_schema(engine)
    counts = populate(engine, people=PEOPLE, seed=7, now=NOW)
    yield engine, counts
    engine.dispose()
