"""Claims: one runner leaves the requests another is claiming at that moment instead of waiting
for them, and reports ids that name no request; on PostgreSQL a claim's commit does not wait
for the disk, and only the claim's: the next transaction on the same connection commits as
usual."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.dsr import repository as dsr_repository
from ombud.execution import repository
from ombud.execution.claiming import claim
from tests.execution.test_lifecycle import add_request, status_of


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


def test_a_request_another_runner_is_claiming_is_left_to_it(
    store: tuple[Settings, Engine],
) -> None:
    _settings, engine = store
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite lets one writer in at a time: there is no lock to pass by")
    mine, theirs = add_request(engine, "access", 1), add_request(engine, "access", 2)
    with unit_of_work(engine) as other:
        dsr_repository.lock_many(other, [theirs])  # another runner, mid-claim
        taken = claim(engine, [mine, theirs, "no-such-id"], actor="system:test")
    assert [s.id for s in taken.specs] == [mine]
    assert {(r.request_id, r.message) for r in taken.skipped} == {
        (theirs, "being claimed by another runner"),
        ("no-such-id", "no such request"),
    }
    assert status_of(engine, mine).status == "in_progress"
    assert status_of(engine, theirs).status == "approved"
