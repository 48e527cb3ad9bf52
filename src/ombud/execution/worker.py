"""Running approved requests inside the server process, in a background thread.

The thread only calls ``run_pending``, the same unit of work as ``ombud requests run``; several
server processes may run it at once because requests are claimed in the store first."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from sqlalchemy import Engine

from ombud.config import Settings
from ombud.connectors import idle
from ombud.execution import warmup
from ombud.execution.peers import PeerLink
from ombud.execution.retries import give_up
from ombud.execution.tasks import RunReport, run_pending, runnable_ids
from ombud.outbox.sender import MailSender, handing_off

log = logging.getLogger(__name__)


class BackgroundRunner:
    """Polls the store for approved requests and runs them until stopped."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # Requests approved since the last batch, named by the approval that woke us.
        self._named: dict[str, None] = {}
        self._named_lock = threading.Lock()
        self._scanned_at = 0.0
        # The runner's letters leave from their own thread: the next batch need not wait.
        self._mail = MailSender(engine, settings)
        # The other server processes, woken when an approval is more than a batch.
        self._peers = PeerLink(engine, self.wake) if PeerLink.possible(engine) else None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._mail.start()
            if self._peers is not None:
                self._peers.start()
            self._thread = threading.Thread(target=self._loop, name="ombud-execution", daemon=True)
            self._thread.start()

    def wake(self, request_ids: Sequence[str] = ()) -> None:
        """Run ``request_ids`` now (or, with none named, look for work now instead of at the
        next interval); more than a batch of them wakes the other server processes too."""
        with self._named_lock:
            self._named.update(dict.fromkeys(request_ids))
            if not request_ids:
                self._scanned_at = 0.0  # nothing named: a full look is what was asked for
        self._wake.set()
        if self._peers is not None and len(request_ids) > self.settings.execution_batch:
            # This process runs one batch at a time: the others take the rest meanwhile.
            self._peers.announce()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the thread to stop after its current batch and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._mail.stop(timeout)
        if self._peers is not None:
            self._peers.stop(timeout)
        idle.close_all()  # the target connections kept between runs

    def run_named(self, request_ids: Sequence[str]) -> list[RunReport]:
        """Run these just-approved requests without looking for others first; errors are
        logged, never fatal to the server."""
        try:
            # The claim skips what is not runnable, and leaves a run past the retry limit to
            # ``run_once``, whose look for work fails it. Just approved: a first attempt, which
            # may run in one transaction (``run_requests``); after a crash, ``run_once`` finds
            # it and runs it the ordinary way, counting attempts.
            return run_pending(
                self.engine,
                settings=self.settings,
                batch=self.settings.execution_batch,
                actor="system:server",
                first=request_ids,
                at_once=True,
            )
        except Exception:  # the loop must survive a bad batch; the request stays retriable
            log.exception("background execution failed; will retry at the next interval")
            return []

    def run_once(self) -> list[RunReport]:
        """Run everything runnable now; errors are logged, never fatal to the server."""
        try:
            # A request that kills the server each time is left failed, not retried for ever.
            ids = runnable_ids(self.engine, limit=self.settings.execution_batch)
            worn = give_up(
                self.engine,
                ids,
                max_attempts=self.settings.execution_max_attempts,
                actor="system:server",
            )
            failed = {r.request_id for r in worn}
            # The ids just read are the first batch: no second query for the same answer.
            return run_pending(
                self.engine,
                settings=self.settings,
                batch=self.settings.execution_batch,
                actor="system:server",
                first=[i for i in ids if i not in failed],
            )
        except Exception:  # the loop must survive a bad batch; the request stays retriable
            log.exception("background execution failed; will retry at the next interval")
            return []

    def _loop(self) -> None:
        interval = self.settings.execution_interval_seconds
        # Here, not in start(): the server answers while the thread compiles the templates.
        warmup.warm()
        while not self._stop.is_set():
            # Cleared before the run, not after the wait: a wake that lands between the two
            # would otherwise be lost and the request would wait a whole interval.
            self._wake.clear()
            with self._named_lock:
                named, self._named = list(self._named), {}
                # A full look at least once an interval: stale runs, lost wakes, the retry
                # limit. An approval names its requests, so the look for them is skipped.
                scan = not named or time.monotonic() - self._scanned_at >= interval
            with handing_off(self._mail):
                if scan:
                    self._scanned_at = time.monotonic()
                    self.run_once()
                else:
                    self.run_named(named)
            self._wake.wait(interval)
