"""Access packages built in memory and then stored, against streamed into their file.

    .venv/bin/python benchmarks/package_memory.py [--rows 1000 10000 50000] [--uploads-mb 64]

For each size, a person with ``--rows`` rows in every collection of the demo data map (every
shown field filled with 24 random characters), and, in the last line, the same person with
``--uploads-mb`` of files uploaded by the owners of manual systems (random bytes, as scans
are). Each package is written twice: ``build_zip`` and ``store`` (the whole ZIP in memory
first, as before) and ``store_written`` (``write_zip`` straight into the file). The table shows
the package's size, the peak Python memory of each (tracemalloc, rows and uploads made before
it starts) and the median wall time of three runs without tracemalloc. No database: the rows
are made here, so the figures are the package's alone.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

from pydantic import SecretStr

if not __package__:  # run as a script: benchmarks/ itself is on sys.path, not the project
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.dsr import demo_map
from benchmarks.e2e_harness import machine_speed
from ombud.config import Settings
from ombud.execution import package
from ombud.execution.changes import Row
from ombud.execution.planner import Plan, build_plan
from ombud.execution.summary import shown_fields

MB = 1 << 20


def person(plan: Plan, rows: int) -> dict[str, list[Row]]:
    """``rows`` rows in every collection with shown fields, random text in each field."""
    out: dict[str, list[Row]] = {}
    for step in plan.steps:
        names = [f.name for f in shown_fields(step)]
        if names:
            out[step.name] = [{n: secrets.token_urlsafe(18) for n in names} for _ in range(rows)]
    return out


def peak(run: Callable[[], object]) -> int:
    """Peak bytes Python allocated while ``run`` ran."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def median_seconds(run: Callable[[], object]) -> float:
    """Median wall time of three runs."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(
    settings: Settings, plan: Plan, rows: int, uploads: Sequence[tuple[str, bytes]]
) -> list[str]:
    """One table line: size, peak memory and time, in memory against streamed."""
    dm = demo_map("postgresql://unused/bench")
    found = person(plan, rows)

    def write(out: BinaryIO) -> None:
        package.write_zip(out, dm, plan, request_id="p1", rows=found, uploads=uploads)

    def in_memory() -> None:
        buffer = io.BytesIO()
        write(buffer)
        package.store(settings, "held", buffer.getvalue())

    def streamed() -> None:
        package.store_written(settings, "streamed", write)

    held_peak, streamed_peak = peak(in_memory), peak(streamed)
    held_time, streamed_time = median_seconds(in_memory), median_seconds(streamed)
    size = (settings.data_dir / "exports" / "streamed.zip").stat().st_size
    return [
        f"{rows:,}",
        f"{sum(len(c) for _, c in uploads) / MB:.0f}",
        f"{size / MB:.1f}",
        f"{held_peak / MB:.1f}",
        f"{streamed_peak / MB:.1f}",
        f"{held_peak / streamed_peak:.1f}x",
        f"{held_time * 1000:.0f}",
        f"{streamed_time * 1000:.0f}",
        f"{streamed_time / held_time:.2f}",
    ]


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--uploads-mb", type=int, default=64)
    args = parser.parse_args()
    plan = build_plan(demo_map("postgresql://unused/bench"))
    cases: list[tuple[int, list[tuple[str, bytes]]]] = [(n, []) for n in args.rows]
    scans = [(f"manual/helpdesk/scan-{i}.pdf", os.urandom(MB)) for i in range(args.uploads_mb)]
    cases.append((args.rows[0], scans))
    header = [
        "rows/collection",
        "uploads MB",
        "package MB",
        "peak MB in memory",
        "peak MB streamed",
        "memory ratio",
        "ms in memory",
        "ms streamed",
        "time streamed/in memory",
    ]
    lines = [header]
    with tempfile.TemporaryDirectory(prefix="ombud-package-bench-") as folder:
        settings = Settings(
            secret_key=SecretStr(secrets.token_urlsafe(32)), data_dir=Path(folder) / "data"
        )
        for rows, uploads in cases:
            lines.append(measure(settings, plan, rows, uploads))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)))
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; fixed workload {machine_speed():.1f} ms "
        f"(lower is faster); {len(plan.steps)} collections in the demo map"
    )


if __name__ == "__main__":
    main()
