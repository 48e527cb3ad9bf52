"""The floor under the request path: the engine alone, and the work the path must add to it.

The engine-only floor (``execute_batch``, no store, no HTTP) is what the end-to-end figures are
compared with. Two pieces of work every completed request carries on top of it, whatever the
store and the process layout: an access request's package (the ZIP built from the rows the
engine found) and a completion letter (composed and written as the outbox sender writes it).
They are timed here in this process, one thread, on the same people, so that the ratio end to
end / engine can be read against what no faster store or scheduler could remove."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from benchmarks.dsr import demo_map
from benchmarks.e2e_harness import read_letter
from ombud import mail
from ombud.config import Settings
from ombud.execution.package import build_zip
from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from ombud.files import write_private

# Engine batches timed for the floor; their median is kept.
ENGINE_RUNS = 3
# Used when the run wrote no completion letter to read a real one from (it always does).
FALLBACK_TEXT = "Your request has been completed.\n" * 40


@dataclass
class Floor:
    """Seconds per request: the engine alone, an access package, a completion letter."""

    engine: float
    package: float
    letter: float

    def work(self) -> float:
        """The engine with the package (access) and the letter: seconds per request."""
        return self.engine + self.package + self.letter


def letter_text(letters: list[Path], kind: str) -> str:
    """The text of a completion letter among ``letters`` (files as sent) for ``kind``."""
    for path in sorted(letters, key=lambda p: p.stat().st_mtime, reverse=True):
        msg, text = read_letter(path)
        subject = str(msg["Subject"] or "").lower()
        if ("completed" in subject or "abgeschlossen" in subject) and kind in text.lower():
            return text
    return FALLBACK_TEXT


def measure(bench_url: str, settings: Settings, kind: str, people: list[int], text: str) -> Floor:
    """Time the engine on ``ENGINE_RUNS`` equal parts of ``people`` (the median is kept: one
    batch's time moves by half from run to run), then the first part's packages (access) and
    one letter each."""
    dm = demo_map(bench_url)
    plan = build_plan(dm)
    size = len(people) // ENGINE_RUNS
    times: list[float] = []
    with ConnectorPool(dm) as pool:
        for i in reversed(range(ENGINE_RUNS)):  # the first part last: its rows are kept
            part = people[i * size : (i + 1) * size]
            specs = [RequestSpec(f"r{n}", kind, {"email": f"user{n}@example.com"}) for n in part]
            started = time.perf_counter()
            out = execute_batch(plan, specs, pool=pool, journal=MemoryJournal(), key=b"bench-key")
            times.append(time.perf_counter() - started)
    engine = statistics.median(times)
    if kind == "access":
        assert all(out[s.id].rows.get("postlicht_app.accounts") for s in specs)
    package = 0.0
    if kind == "access":
        # Once first, untimed: the templates are compiled on first use, as in a warm server.
        build_zip(dm, plan, request_id="warm", rows=out[specs[0].id].rows)
        started = time.perf_counter()
        for s in specs:
            o = out[s.id]
            build_zip(dm, plan, request_id=s.id, rows=o.rows, kept=o.kept())
        package = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="ombud-floor-") as folder:
        started = time.perf_counter()
        for s in specs:
            msg = mail.build_message(
                settings, to=s.identities["email"], subject="Your request is completed", text=text
            )
            write_private(Path(folder) / f"{uuid.uuid4().hex}.eml", msg.as_bytes())
        letter = time.perf_counter() - started
    n = len(specs)
    return Floor(engine=engine / n, package=package / n, letter=letter / n)
