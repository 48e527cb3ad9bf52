"""The step journal kept in Ombud's store, and who holds a run (worker names, leases).

Steps are recorded before any target is touched and marked done after each target commit, so
a killed worker resumes where it stopped by replaying the recorded steps."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Engine

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.db import unit_of_work
from ombud.execution import repository
from ombud.execution.changes import Change
from ombud.models.base import new_id
from ombud.models.execution import ExecutionRun

STALE_AFTER = timedelta(minutes=15)
HEARTBEAT_EVERY = timedelta(seconds=30)


@dataclass
class RunReport:
    """What happened to one request in a run."""

    request_id: str
    status: str  # completed, waiting, failed, skipped
    message: str = ""


def worker_name() -> str:
    """``host:pid:thread`` of this thread (the server's background runner and an API call
    may run requests in the same process at once)."""
    return f"{_host()}:{os.getpid()}:{threading.get_ident()}"


@cache
def _host() -> str:
    # Asked once per claimed request; the name a process started under is the one it keeps.
    return socket.gethostname()


def _alive(worker: str | None) -> bool:
    """False when the worker ran on this host and its process (or thread) is gone."""
    if not worker:
        return False
    host, pid, thread = [*worker.split(":"), "", ""][:3]
    if host != _host() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():
        return thread.isdigit() and int(thread) in {t.ident for t in threading.enumerate()}
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stale(run: ExecutionRun) -> bool:
    if run.worker == worker_name():
        return True
    if not _alive(run.worker):
        return True
    return run.heartbeat_at is None or utcnow() - run.heartbeat_at > STALE_AFTER


class StoreJournal:
    """The ``Journal`` kept in Ombud's store; every call is its own committed transaction."""

    def __init__(
        self,
        engine: Engine | None,
        runs: dict[str, str],
        *,
        actor: str,
        fresh: set[str] | None = None,
    ) -> None:
        self.engine = engine
        self.runs = runs  # request id -> run id
        self.actor = actor
        self.beat: datetime | None = None
        # Requests whose steps this run planned (not replayed from an earlier, crashed run).
        self.recorded: set[str] = set()
        # Requests whose run was created by this claim: no step of theirs can be in the
        # store yet, so asking for them costs a transaction that finds nothing.
        self.fresh = fresh or set()

    def planned(self, request_ids: Sequence[str]) -> dict[str, list[Change]]:
        """Changes recorded by an earlier attempt."""
        out: dict[str, list[Change]] = {}
        ids = [r for r in request_ids if r not in self.fresh]
        if not ids:
            return out
        with unit_of_work(self.engine) as session:
            for step in repository.steps(session, ids):
                if step.action == "access":
                    continue
                ident = (step.request_id, step.collection, step.action)
                change = Change.restore(ident, step.payload, step.summary, step.kept)
                out.setdefault(step.request_id, []).append(change)
        return out

    def record_planned(self, changes: Sequence[Change]) -> None:
        """Insert the steps (pending) and move the runs to ``applying``."""
        rows = [
            {
                "id": new_id(),
                "run_id": self.runs[c.request_id],
                "request_id": c.request_id,
                "collection": c.collection,
                "action": c.action,
                "position": i,
                "status": "pending",
                "payload": c.payload(),
                "summary": c.summary(),
                "kept": c.kept,
                "old_hashes": c.old_hashes,
            }
            for i, c in enumerate(changes)
        ]
        with unit_of_work(self.engine) as session:
            repository.insert_steps(session, rows)
            self.recorded.update(c.request_id for c in changes)
            requests = sorted({c.request_id for c in changes})
            self.beat = utcnow()
            repository.set_phase(session, requests, "applying", heartbeat_at=self.beat)

    def done(self, request_ids: Sequence[str]) -> set[tuple[str, str, str]]:
        """Steps already applied."""
        # A fresh run's steps were all recorded pending by this run: none is done yet.
        ids = [r for r in request_ids if r not in self.fresh]
        if not ids:
            return set()
        with unit_of_work(self.engine) as session:
            return repository.done_steps(session, ids)

    def mark_done(self, changes: Sequence[Change]) -> None:
        """Mark steps done; rectifications leave the old values' hashes in the audit log."""
        with unit_of_work(self.engine) as session:
            repository.mark_done(session, [c.ident for c in changes], at=utcnow())
            for c in changes:
                if c.action == "rectify" and c.updates:
                    audit.record(
                        session,
                        action="execution.rectified",
                        actor=self.actor,
                        subject_type="privacy_request",
                        subject_id=c.request_id,
                        data={
                            "collection": c.collection,
                            "fields": c.fields,
                            "changed": len(c.updates),
                            "old_value_sha256": c.old_hashes,
                        },
                    )
            # The lease needs a sign of life now and then, not one write per run per collection.
            now = utcnow()
            if self.beat is None or now - self.beat > HEARTBEAT_EVERY:
                requests = sorted({c.request_id for c in changes})
                repository.set_phase(session, requests, "applying", heartbeat_at=now)
                self.beat = now
