"""Run leases: a run held by a live worker is left alone; one whose worker is gone is taken."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta

from ombud.clock import utcnow
from ombud.execution import tasks
from ombud.models.execution import ExecutionRun


def _run(worker: str | None) -> ExecutionRun:
    return ExecutionRun(request_id="r", phase="collecting", worker=worker, heartbeat_at=utcnow())


def _name_of_thread(
    started: threading.Event, release: threading.Event
) -> tuple[list[str], threading.Thread]:
    names: list[str] = []

    def work() -> None:
        names.append(tasks.worker_name())
        started.set()
        release.wait(10)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    started.wait(10)
    return names, thread


def test_run_of_another_live_thread_of_this_process_is_not_taken() -> None:
    started, release = threading.Event(), threading.Event()
    names, _thread = _name_of_thread(started, release)
    try:
        # E.g. the server's background runner, while an API call tries the same request.
        assert not tasks._stale(_run(names[0]))
    finally:
        release.set()


def test_run_of_a_finished_thread_or_dead_process_is_taken() -> None:
    started, release = threading.Event(), threading.Event()
    release.set()
    names, thread = _name_of_thread(started, release)
    thread.join(5)
    assert tasks._stale(_run(names[0]))
    host = socket.gethostname()
    assert tasks._stale(_run(f"{host}:999999999:1"))  # no such process on this host
    assert tasks._stale(_run(tasks.worker_name()))  # left behind by this very thread
    assert tasks._stale(_run(None))


def test_run_of_a_live_worker_elsewhere_waits_for_its_heartbeat() -> None:
    run = _run("other-host:42:7")
    assert not tasks._stale(run)
    run.heartbeat_at = utcnow() - tasks.STALE_AFTER - timedelta(seconds=1)
    assert tasks._stale(run)
