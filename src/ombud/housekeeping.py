"""Work that must happen even when nobody asks, as a registry of named periodic jobs.

Each job has a schedule read from the settings: seconds between runs, or a cron expression
(UTC). ``ombud.workers.scheduler`` runs them, in the server (embedded mode) or in
``ombud worker`` processes, each slot once however many processes there are (the slot is
claimed in the store). A new job is one ``register(Job(...))`` call."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.execution import downloads
from ombud.manual import tasks as manual_tasks
from ombud.notify import tasks as notify_tasks
from ombud.outbox import service as outbox
from ombud.webhooks import service as webhooks

log = logging.getLogger(__name__)


# Seconds between runs (0 or less: off) or a cron expression ("": off).
Schedule = float | str


@dataclass(frozen=True)
class Job:
    """A named periodic job: ``run(engine, settings, slot)`` at the times ``schedule`` says."""

    name: str
    run: Callable[[Engine, Settings, datetime], object]
    schedule: Callable[[Settings], Schedule]
    # Only where workers run (a broker is set): e.g. re-queuing messages for the workers.
    workers_only: bool = False


JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    """Add (or replace) a job in the registry."""
    JOBS[job.name] = job
    return job


def run_once(engine: Engine | None, settings: Settings) -> None:
    """Send due mail, delete expired packages, send the day's digest once; errors are logged.
    Old sent mail is the retention rule ``ombud.mail``'s to delete (with its .eml files)."""
    try:
        notify_tasks.send_digest(engine, settings)
    except Exception:
        log.exception("the daily digest failed; will retry at the next interval")
    try:
        outbox.drain(engine, settings)
    except Exception:  # the loop must outlive a bad message or a store outage
        log.exception("sending queued mail failed; will retry at the next interval")
    try:
        webhooks.drain(engine, settings)
    except Exception:
        log.exception("delivering webhooks failed; will retry at the next interval")
    try:
        manual_tasks.remind(engine, settings)
    except Exception:
        log.exception("reminding owners of manual tasks failed; will retry at the next interval")
    try:
        with unit_of_work(engine) as session:
            downloads.purge_expired(session, settings)
    except Exception:
        log.exception("deleting expired packages failed; will retry at the next interval")


def _housekeeping(engine: Engine, settings: Settings, _slot: datetime) -> None:
    run_once(engine, settings)


def _retention(engine: Engine, settings: Settings, slot: datetime) -> None:
    # Imported here: retention imports half the domains, housekeeping is imported early.
    from ombud.retention.tasks import run_slot

    run_slot(engine, settings, slot)  # then the audit checkpoint (OMBUD_AUDIT_CHECKPOINT_FILE)


def _requeue(engine: Engine, settings: Settings, slot: datetime) -> None:
    from ombud.workers.dispatch import requeue

    requeue(engine, settings, slot)


register(Job("housekeeping", _housekeeping, lambda s: s.housekeeping_interval_seconds))
register(Job("retention", _retention, lambda s: s.retention_schedule))
# Workers only: messages lost or held by a dead worker are sent again (the reaper).
register(Job("requeue", _requeue, lambda s: s.execution_interval_seconds, workers_only=True))
