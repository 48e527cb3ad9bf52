"""The retention schedule: the next slot, a bad schedule refused, one run per slot even when
several server processes reach it at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from ombud.audit import checkpoint
from ombud.audit.service import verify
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.db import make_engine, unit_of_work
from ombud.retention.tasks import next_slot, run_slot
from tests.fixtures.api import Clock, make_settings
from tests.fixtures.smtp import SmtpServer
from tests.retention import target


def test_next_slot_and_a_bad_schedule(tmp_path: Path, smtp_server: SmtpServer) -> None:
    after = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert next_slot("30 3 * * *", after) == datetime(2026, 3, 3, 3, 30, tzinfo=UTC)
    assert next_slot("*/15 * * * *", after) == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    with pytest.raises(ValidationError, match="is not a cron schedule such as '30 3"):
        make_settings("sqlite://", tmp_path, smtp_server, retention_schedule="every night")
    assert Settings.model_fields["retention_schedule"].default == "30 3 * * *"


@pytest.fixture
def shared(
    committed_store_url: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, Engine, Engine]]:
    """A committed store with the test map applied, and the application database."""
    app_db = make_engine(f"sqlite:///{tmp_path / 'app.db'}")
    target.populate(app_db)
    monkeypatch.setenv("OMBUD_TEST_RETENTION_URL", str(app_db.url))
    settings = make_settings(committed_store_url, tmp_path, smtp_server)
    engine = make_engine(committed_store_url)
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=target.datamap(), files={}, author="test")
    yield settings, engine, app_db
    engine.dispose()
    app_db.dispose()


def test_a_slot_runs_once_with_two_processes(
    shared: tuple[Settings, Engine, Engine], frozen_clock: Clock
) -> None:
    settings, engine, app_db = shared
    slot = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    # Two "server processes": separate engines on the same store, racing for the same slot.
    engines = [make_engine(settings.database_url) for _ in range(2)]
    results: list[object] = [None, None]
    start = threading.Barrier(2)

    def server(i: int) -> None:
        start.wait()
        results[i] = run_slot(engines[i], settings, slot)

    threads = [threading.Thread(target=server, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ran = [r for r in results if r is not None]
    assert len(ran) == 1, results  # the other found the slot taken
    assert target.ids(app_db, "sessions") == [1]
    assert run_slot(engine, settings, slot) is None  # a late process: still taken
    for e in engines:
        e.dispose()


def test_the_nightly_slot_anchors_the_audit_log(
    shared: tuple[Settings, Engine, Engine], frozen_clock: Clock, tmp_path: Path
) -> None:
    settings, engine, _app_db = shared
    path = tmp_path / "checkpoints.jsonl"
    nightly = settings.model_copy(update={"audit_checkpoint_file": path})
    slot = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    assert run_slot(engine, nightly, slot) is not None
    [cp] = checkpoint.read(path, nightly)
    with unit_of_work(engine) as session:
        result = verify(session, nightly)
        assert cp.seq == result.checked and cp.hash == result.head_hash
        assert checkpoint.compare(session, result, [cp]) == ""
    assert oct(path.stat().st_mode & 0o777) == "0o600"
