"""The retention schedule: the server applies the rules at the times of
``OMBUD_RETENTION_SCHEDULE``. Each time slot is claimed in the store, so with several server
processes it runs once; a rule still running from the previous slot is skipped, not doubled."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from functools import partial

from cronsim import CronSim
from sqlalchemy import Engine

from ombud.audit.tasks import nightly_checkpoint
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.db import unit_of_work
from ombud.errors import NotFound
from ombud.retention import repository, service

log = logging.getLogger(__name__)
# A slot's claim outlives any run, so a late process cannot take the same slot again.
SLOT_CLAIM = timedelta(days=2)


def next_slot(schedule: str, after: datetime) -> datetime:
    """The first time of ``schedule`` after ``after`` (aware UTC)."""
    slot: datetime = next(CronSim(schedule, after))
    return slot


def run_slot(
    engine: Engine, settings: Settings, slot: datetime
) -> list[service.RuleOutcome] | None:
    """Apply every rule for ``slot``, unless another process already claimed it (None)."""
    name = f"schedule:{slot.isoformat()}"
    with unit_of_work(engine) as session:
        if not repository.acquire(
            session, name, service.holder(), now=utcnow(), until=slot + SLOT_CLAIM
        ):
            return None
        try:
            datamap = datamap_service.get_current(session)
        except NotFound:
            return []
    outcomes = service.run(
        partial(unit_of_work, engine),
        datamap,
        trigger="schedule",
        actor="system:schedule",
        connections=dict(settings.connections),
    )
    # After the run, so the checkpoint anchors its audit entries too.
    nightly_checkpoint(engine, settings)
    return outcomes


class RetentionScheduler:
    """A server thread that waits for the next slot of the schedule and runs it."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None and self.settings.retention_schedule:
            self._thread = threading.Thread(target=self._loop, name="ombud-retention", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current run and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        slot = next_slot(self.settings.retention_schedule, utcnow())
        while not self._stop.is_set():
            wait = (slot - utcnow()).total_seconds()
            if wait > 0:
                # Wake at least every minute: the clock may jump (suspend, NTP).
                self._stop.wait(min(wait, 60.0))
                continue
            try:
                run_slot(self.engine, self.settings, slot)
            except Exception:  # the server must survive; the next slot tries again
                log.exception("scheduled retention run failed")
            slot = next_slot(self.settings.retention_schedule, utcnow())
