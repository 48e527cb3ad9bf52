"""The server's background loop for work that must happen even when nobody asks: send the
mail the outbox still holds (after a crash or an SMTP outage), deliver due webhooks, remind
owners of manual tasks and delete expired packages."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import Engine

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.execution import downloads
from ombud.manual import tasks as manual_tasks
from ombud.outbox import repository as outbox_repository
from ombud.outbox import service as outbox
from ombud.webhooks import service as webhooks

log = logging.getLogger(__name__)


def run_once(engine: Engine | None, settings: Settings) -> None:
    """Send due mail, delete expired packages and old sent mail; errors are logged."""
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
            # Sent mail is kept OMBUD_RETENTION_MAIL_DAYS (the letter stays with its request).
            keep = timedelta(days=settings.retention_mail_days)
            outbox_repository.delete_sent_before(session, utcnow() - keep)
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
