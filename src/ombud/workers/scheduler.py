"""The one scheduler: runs the registered periodic jobs (``ombud.housekeeping.JOBS``).

It runs in the server (embedded mode) or in every ``ombud worker`` process. Each job's time
slot is claimed in the store before it runs (``periodic_jobs.last_slot`` only moves forward),
so with any number of processes a slot runs once. A cron job seen for the first time starts
from the next time of its schedule; a slot missed while every process was down runs once, at
the next start."""

from __future__ import annotations

import logging
import math
import os
import random
import socket
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from cronsim import CronSim
from sqlalchemy import Engine

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.housekeeping import JOBS, Job, Schedule
from ombud.workers import repository

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0


def holder() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def due_slot(schedule: Schedule, now: datetime) -> datetime | None:
    """The latest slot of ``schedule`` at or before ``now`` (None: the job is off)."""
    if isinstance(schedule, str):
        if not schedule.strip():
            return None
        # reverse=True yields times strictly before its start: start just after ``now``.
        slot: datetime = next(CronSim(schedule, now + timedelta(seconds=1), reverse=True))
        return slot
    if schedule <= 0:
        return None
    start = math.floor(now.timestamp() / schedule) * schedule
    return datetime.fromtimestamp(start, UTC)


def enabled_jobs(settings: Settings, *, workers: bool) -> list[Job]:
    """The jobs with a schedule, for a worker process or the embedded server."""
    return [
        job
        for job in JOBS.values()
        if due_slot(job.schedule(settings), utcnow()) is not None
        and (workers or not job.workers_only)
    ]


def run_job(engine: Engine, settings: Settings, job: Job, slot: datetime) -> bool:
    """Run ``job`` for ``slot`` if this process claims the slot; True when it ran."""
    with unit_of_work(engine) as session:
        if not repository.claim_slot(session, job.name, slot, holder=holder(), now=utcnow()):
            return False
    error: str | None = None
    try:
        job.run(engine, settings, slot)
    except Exception as exc:  # the scheduler must outlive any job; the next slot tries again
        log.exception("periodic job %s failed for slot %s", job.name, slot.isoformat())
        error = f"{type(exc).__name__}: {exc}"[:2000]
    with unit_of_work(engine) as session:
        repository.finish(session, job.name, now=utcnow(), error=error)
    return True


class Scheduler:
    """A thread that ticks every second and starts each due job in a thread of its own (a
    long retention run does not hold back the mail)."""

    def __init__(self, engine: Engine, settings: Settings, jobs: Iterable[Job]) -> None:
        self.engine = engine
        self.settings = settings
        self.jobs = list(jobs)
        self.seen: dict[str, datetime] = {}  # newest slot this process handled, per job
        self.running: dict[str, threading.Thread] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once), if any job is scheduled."""
        if self._thread is None and self.jobs:
            self._thread = threading.Thread(target=self._loop, name="ombud-scheduler", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop ticking and wait for the jobs still running."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for thread in list(self.running.values()):
            thread.join(timeout)

    def tick(self, now: datetime | None = None) -> list[str]:
        """Start every job whose slot is due and not yet handled here; return their names."""
        now = now or utcnow()
        started: list[str] = []
        for job in self.jobs:
            schedule = job.schedule(self.settings)
            slot = due_slot(schedule, now)
            if slot is None or self.seen.get(job.name, slot - timedelta(seconds=1)) >= slot:
                continue
            busy = self.running.get(job.name)
            if busy is not None and busy.is_alive():
                continue  # still on an earlier slot in this process: not doubled
            if job.name not in self.seen and isinstance(schedule, str) and self._new(job, slot):
                continue
            self.seen[job.name] = slot
            thread = threading.Thread(
                target=run_job,
                args=(self.engine, self.settings, job, slot),
                name=f"ombud-job-{job.name}",
                daemon=True,
            )
            self.running[job.name] = thread
            thread.start()
            started.append(job.name)
        return started

    def _new(self, job: Job, slot: datetime) -> bool:
        """A cron job never run before starts at its next time, not at the one just past."""
        with unit_of_work(self.engine) as session:
            if repository.last_slot(session, job.name) is not None:
                return False
            repository.seed(session, job.name, slot)
        self.seen[job.name] = slot
        return True

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # a store outage: tick again
                log.exception("the scheduler could not check its jobs; trying again")
            # Jittered: with a fixed period, the process whose tick falls first in the second
            # would take every slot; drifting ticks spread the periodic work over the processes.
            self._stop.wait(TICK_SECONDS * random.uniform(0.5, 1.0))
