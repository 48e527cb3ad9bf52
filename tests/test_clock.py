"""No test depends on the real clock: every test (and the subprocesses tests start) runs on
a clock anchored at 2026-03-02, so a fixture dated 2025 means the same in 2035."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta

from ombud.clock import utcnow
from tests.fixtures.api import ANCHORED_PRELUDE, EPOCH, AnchoredClock


def test_tests_run_on_the_anchored_clock(anchored_clock: AnchoredClock) -> None:
    now = utcnow()
    assert EPOCH <= now < EPOCH + timedelta(hours=1)
    assert utcnow() >= now  # it moves on with real time


def test_subprocesses_get_the_same_clock() -> None:
    code = ANCHORED_PRELUDE + "from ombud.clock import utcnow; print(utcnow().isoformat())"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ)
    )
    assert out.returncode == 0, out.stderr
    child = datetime.fromisoformat(out.stdout.strip())
    assert EPOCH <= child < EPOCH + timedelta(hours=1)
