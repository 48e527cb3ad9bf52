"""CPU per phase of the request path: a phase inside another counts for itself only, and
every request counted by the phase it went through."""

from __future__ import annotations

import time

from ombud import phases


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_a_phase_inside_another_counts_for_itself_only() -> None:
    before = phases.snapshot()
    with phases.phase("completion", 3):
        _burn(0.02)
        with phases.phase("package"):
            _burn(0.05)
    after = phases.snapshot()
    completion = after["completion"]["cpu_seconds"] - before["completion"]["cpu_seconds"]
    package = after["package"]["cpu_seconds"] - before["package"]["cpu_seconds"]
    assert 0.05 <= package < 0.2
    assert 0.02 <= completion < package  # the package's CPU is not counted twice
    assert after["completion"]["requests"] - before["completion"]["requests"] == 3
    assert after["package"]["requests"] - before["package"]["requests"] == 1


def test_sleeping_costs_no_cpu() -> None:
    before = phases.snapshot()["mail"]["cpu_seconds"]
    with phases.phase("mail"):
        time.sleep(0.05)  # waiting on SMTP or the disk is not CPU
    assert phases.snapshot()["mail"]["cpu_seconds"] - before < 0.03
