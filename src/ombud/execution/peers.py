"""Waking the other server processes when one approves more than it runs in one batch.

On PostgreSQL each server process that runs requests listens on a channel of its store. An
approval of more requests than a batch holds is announced there after its commit, and every
other process then looks for work at once instead of at its next interval, so a bulk approval
is run by all of them from the start. The interval stays: a lost notification, or a listener
that is reconnecting, delays work by one interval at most, as before. SQLite runs one server
process, and MariaDB has no notifications: there nothing changes."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ombud.db import unit_of_work
from ombud.execution import repository

log = logging.getLogger(__name__)

CHANNEL = "ombud_runnable"


class PeerLink:
    """This process's end of the channel: announces work, and calls ``on_work`` when another
    process announced some."""

    # Seconds between looks at the stop flag while waiting, and before reconnecting.
    POLL_SECONDS = 1.0
    RETRY_SECONDS = 5.0

    def __init__(self, engine: Engine, on_work: Callable[[], None]) -> None:
        self.engine = engine
        self.on_work = on_work
        # Names this process's notifications ("work:<token>", "stop:<token>"): its own
        # listener ignores its announcements, the others its stop.
        self.token = uuid.uuid4().hex
        self.listening = threading.Event()  # set while LISTEN is in force
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def possible(engine: Engine) -> bool:
        """True when the store can carry notifications (PostgreSQL)."""
        return engine.dialect.name == "postgresql"

    def start(self) -> None:
        """Start listening (once)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._listen, name="ombud-peers", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            if self.listening.is_set():
                self._send("stop")  # ends the listener's wait now, not at its next look
            self._thread.join(timeout)
            self._thread = None

    def announce(self) -> None:
        """Tell the other processes there is work (call after the commit that made it)."""
        self._send("work")

    def _send(self, kind: str) -> None:
        try:
            with unit_of_work(self.engine) as session:
                repository.notify(session, CHANNEL, f"{kind}:{self.token}")
        except SQLAlchemyError as exc:  # the others still find it at their next interval
            log.warning("could not notify the other server processes: %s", exc)

    def _connect(self) -> psycopg.Connection[Any]:
        """A connection of its own, outside the pool: it listens for as long as we run."""
        args, params = self.engine.dialect.create_connect_args(self.engine.url)
        return psycopg.connect(*args, **{**params, "autocommit": True})

    def _listen(self) -> None:
        first = True
        while not self._stop.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    if not first:
                        self.on_work()  # announcements made while reconnecting are lost
                    first = False
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=self.POLL_SECONDS):
                            kind, _, sender = note.payload.partition(":")
                            if self._stop.is_set():
                                break
                            if kind == "work" and sender != self.token:
                                self.on_work()
            except psycopg.Error as exc:
                self.listening.clear()
                log.warning("listening for other server processes failed (%s); retrying", exc)
                self._stop.wait(self.RETRY_SECONDS)
        self.listening.clear()
