"""The server's background loop for work that must happen even when nobody asks: send the
mail the outbox still holds (after a crash or an SMTP outage), delete expired packages and
mail staff the daily digest of deadlines."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import Engine

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.execution import downloads
from ombud.notify import tasks as notify_tasks
from ombud.outbox import repository as outbox_repository
from ombud.outbox import service as outbox

log = logging.getLogger(__name__)

# Sent mail is kept this long (the letter itself stays with its request), then deleted.
KEEP_SENT = timedelta(days=30)


def run_once(engine: Engine | None, settings: Settings) -> None:
    """Send due mail, delete expired packages and old sent mail, send the day's digest once;
    errors are logged."""
    try:
        notify_tasks.send_digest(engine, settings)
    except Exception:
        log.exception("the daily digest failed; will retry at the next interval")
    try:
        outbox.drain(engine, settings)
    except Exception:  # the loop must outlive a bad message or a store outage
        log.exception("sending queued mail failed; will retry at the next interval")
    try:
        with unit_of_work(engine) as session:
            downloads.purge_expired(session, settings)
            outbox_repository.delete_sent_before(session, utcnow() - KEEP_SENT)
    except Exception:
        log.exception("deleting expired packages failed; will retry at the next interval")


class Housekeeper:
    """Runs ``run_once`` at start and every ``housekeeping_interval_seconds`` until stopped."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="ombud-housekeeping", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current round."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            run_once(self.engine, self.settings)
            self._stop.wait(self.settings.housekeeping_interval_seconds)
