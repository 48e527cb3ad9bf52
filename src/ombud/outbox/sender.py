"""A thread that sends the letters the embedded runner queued, so that the runner goes on
with the next batch instead of waiting on SMTP or the disk.

Only the runner's thread hands its letters over (``handing_off``); everything else still sends
after its commit as before. The letters are committed rows before they reach this thread: a
process that dies first leaves them ``pending`` for the next drain (housekeeping, ``ombud mail
send``), so nothing is lost."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.phases import phase

log = logging.getLogger(__name__)

_local = threading.local()


class MailSender:
    """Sends handed-over letters in the background, many per claim, until stopped."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._queue: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="ombud-mail", daemon=True)
            self._thread.start()

    def submit(self, mail_ids: list[str]) -> None:
        """Send these committed letters soon."""
        self._queue.put(list(mail_ids))

    def stop(self, timeout: float = 30.0) -> None:
        """Send what was handed over, then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        from ombud.outbox import service  # the service hands letters here: no import cycle

        while True:
            item = self._queue.get()
            stop = item is None
            ids = list(item or [])
            # Everything waiting goes in one claim.
            while not self._queue.empty():
                more = self._queue.get()
                if more is None:
                    stop = True
                else:
                    ids += more
            if ids:
                try:
                    with phase("mail", len(ids)):
                        service.deliver_ids(lambda: unit_of_work(self.engine), self.settings, ids)
                except Exception:  # the rows stay queued for the next drain
                    log.exception("sending handed-over mail failed; it stays queued")
            if stop:
                return


@contextmanager
def handing_off(sender: MailSender) -> Iterator[None]:
    """Within this block, letters this thread commits go to ``sender`` instead of being sent
    inline after the commit."""
    previous = getattr(_local, "sender", None)
    _local.sender = sender
    try:
        yield
    finally:
        _local.sender = previous


def current() -> MailSender | None:
    """The sender this thread hands letters to, if any."""
    found: MailSender | None = getattr(_local, "sender", None)
    return found
