"""The one scheduler: each slot of each job runs once over every process that ticks."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ombud.app import create_app
from ombud.config import Settings
from ombud.db import make_engine, unit_of_work
from ombud.housekeeping import JOBS, Job
from ombud.workers import repository
from ombud.workers.scheduler import Scheduler, due_slot, enabled_jobs

NOW = datetime(2026, 3, 2, 9, 7, 30, tzinfo=UTC)


def test_due_slot_of_intervals_and_cron() -> None:
    assert due_slot(300.0, NOW) == datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert due_slot("30 3 * * *", NOW) == datetime(2026, 3, 2, 3, 30, tzinfo=UTC)
    assert due_slot("*/5 * * * *", datetime(2026, 3, 2, 9, 5, tzinfo=UTC)) == datetime(
        2026, 3, 2, 9, 5, tzinfo=UTC
    )
    assert due_slot(0.0, NOW) is None and due_slot("", NOW) is None


def _counting(name: str, schedule: float | str) -> tuple[Job, list[datetime]]:
    runs: list[datetime] = []
    lock = threading.Lock()

    def run(_engine: Engine, _settings: Settings, slot: datetime) -> None:
        with lock:
            runs.append(slot)

    return Job(name, run, lambda _s: schedule), runs


def test_three_processes_run_each_slot_once(store: tuple[Settings, Engine]) -> None:
    settings, _ = store
    job, runs = _counting("count", 60.0)
    engines = [make_engine(settings.database_url) for _ in range(3)]
    schedulers = [Scheduler(e, settings, [job]) for e in engines]
    try:
        for now in (NOW, NOW + timedelta(seconds=10), NOW + timedelta(seconds=61)):
            ticks = [threading.Thread(target=s.tick, args=(now,)) for s in schedulers]
            for t in ticks:
                t.start()
            for t in ticks:
                t.join()
            for s in schedulers:
                s.stop()
    finally:
        for e in engines:
            e.dispose()
    assert runs == [due_slot(60.0, NOW), due_slot(60.0, NOW + timedelta(seconds=61))]


def test_a_new_cron_job_waits_for_its_next_time(store: tuple[Settings, Engine]) -> None:
    settings, engine = store
    job, runs = _counting("nightly", "30 3 * * *")
    scheduler = Scheduler(engine, settings, [job])
    assert scheduler.tick(NOW) == []  # 03:30 today has passed: not run on first sight
    assert scheduler.tick(NOW + timedelta(days=1)) == ["nightly"]
    scheduler.stop()
    assert runs == [datetime(2026, 3, 3, 3, 30, tzinfo=UTC)]
    # A process started later does not run the same night again.
    late = Scheduler(engine, settings, [job])
    assert late.tick(NOW + timedelta(days=1, hours=1)) == ["nightly"]
    late.stop()
    assert len(runs) == 1


def test_a_failing_job_records_why_and_runs_at_its_next_slot(
    store: tuple[Settings, Engine],
) -> None:
    settings, engine = store
    calls: list[datetime] = []

    def broken(_engine: Engine, _settings: Settings, slot: datetime) -> None:
        calls.append(slot)
        raise RuntimeError("target database is down")

    scheduler = Scheduler(engine, settings, [Job("broken", broken, lambda _s: 60.0)])
    scheduler.tick(NOW)
    scheduler.stop()
    with unit_of_work(engine) as session:
        (row,) = repository.jobs(session)
        assert row.last_error == "RuntimeError: target database is down"
        assert row.finished_at is not None
    scheduler.tick(NOW + timedelta(minutes=1))
    scheduler.stop()
    assert len(calls) == 2


def test_registry_holds_housekeeping_retention_and_the_reaper(
    store: tuple[Settings, Engine],
) -> None:
    settings, _ = store
    assert {"housekeeping", "retention", "requeue"} <= set(JOBS)
    on = settings.model_copy(
        update={"housekeeping_interval_seconds": 60.0, "retention_schedule": "30 3 * * *"}
    )
    assert {j.name for j in enabled_jobs(on, workers=False)} >= {"housekeeping", "retention"}
    assert "requeue" not in {j.name for j in enabled_jobs(on, workers=False)}
    assert "requeue" in {j.name for j in enabled_jobs(on, workers=True)}
    assert enabled_jobs(settings, workers=False) == []  # tests switch both off


def test_embedded_server_runs_one_scheduler_thread(store: tuple[Settings, Engine]) -> None:
    settings, engine = store
    settings = settings.model_copy(
        update={"housekeeping_interval_seconds": 60.0, "retention_schedule": "30 3 * * *"}
    )
    with TestClient(create_app(settings)):
        names = {t.name for t in threading.enumerate()}
        assert "ombud-scheduler" in names
        assert not names & {"ombud-housekeeping", "ombud-retention"}
        # The housekeeping slot was claimed and run at start.
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while datetime.now(UTC) < deadline:
            with unit_of_work(engine) as session:
                done = [j for j in repository.jobs(session) if j.name == "housekeeping"]
            if done and done[0].finished_at is not None:
                break
            time.sleep(0.05)
        assert done and done[0].finished_at is not None and done[0].last_error is None
    assert "ombud-scheduler" not in {t.name for t in threading.enumerate()}
