"""CPU time of the request path per phase, in this process: intake, verification (the
person's code checked), approval, claim, execution, package, completion (records, audit),
letter (composed and queued) and mail (sent).

Each phase counts the CPU time of the thread running it (``time.thread_time``), so the figures
do not depend on other load; a phase inside another counts for itself only. They are shown in
``GET /api/v1/metrics`` and let the request benchmark split CPU per request by phase."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

PHASES = (
    "intake",
    "verification",
    "approval",
    "claim",
    "execution",
    "package",
    "completion",
    "letter",
    "mail",
)

_lock = threading.Lock()
_totals: dict[str, list[float]] = {name: [0, 0.0] for name in PHASES}
_local = threading.local()


@contextmanager
def phase(name: str, requests: int = 1) -> Iterator[None]:
    """Count the thread's CPU time in the block under ``name``, for ``requests`` requests."""
    stack: list[list[float]] = _local.__dict__.setdefault("stack", [])
    frame = [time.thread_time(), 0.0]  # start, CPU of phases inside this one
    stack.append(frame)
    try:
        yield
    finally:
        stack.pop()
        spent = time.thread_time() - frame[0]
        if stack:
            stack[-1][1] += spent
        with _lock:
            total = _totals.setdefault(name, [0, 0.0])
            total[0] += requests
            total[1] += spent - frame[1]


def snapshot() -> dict[str, dict[str, float]]:
    """{phase: {"requests": n, "cpu_seconds": s}} since the process started."""
    with _lock:
        return {k: {"requests": v[0], "cpu_seconds": round(v[1], 6)} for k, v in _totals.items()}
