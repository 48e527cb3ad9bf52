"""A claim's commit does not wait for the disk on PostgreSQL, and only the claim's: the next
transaction on the same pooled connection commits as usual."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.execution import repository


def _setting(engine: Engine) -> tuple[str, str]:
    with unit_of_work(engine) as session:
        before = str(session.scalar(text("SHOW synchronous_commit")))
        repository.commit_without_flushing(session)
        during = str(session.scalar(text("SHOW synchronous_commit")))
    return before, during


def test_only_the_claims_transaction_commits_without_waiting(
    store: tuple[Settings, Engine],
) -> None:
    _settings, engine = store
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL can commit without waiting for the disk")
    assert _setting(engine) == ("on", "off")
    assert _setting(engine) == ("on", "off")  # the connection came back with the default


def test_elsewhere_it_changes_nothing(store: tuple[Settings, Engine]) -> None:
    _settings, engine = store
    if engine.dialect.name == "postgresql":
        pytest.skip("SQLite and MariaDB commit as they always do")
    with unit_of_work(engine) as session:
        repository.commit_without_flushing(session)
        assert session.scalar(text("SELECT 1")) == 1
