"""Benchmark of appending to the audit log at commit, per store.

    .venv/bin/python benchmarks/audit_append.py [--transactions 2000] [--entries 3]

Every request transaction ends with a few audit entries chained onto the head. This runs
``--transactions`` transactions of ``--entries`` entries each through ``unit_of_work`` on a
fresh SQLite store and a fresh PostgreSQL database (server: ``OMBUD_BENCH_PG``), and reports
CPU and wall milliseconds per transaction (the commit included) for each way of writing them:
on PostgreSQL the head moves in the same statement as the entries' INSERT
(``move_head_and_add``, the entries as one JSON document whatever their number); the other
way, used by SQLite and MariaDB, is a head UPDATE and then the INSERT. A transaction that
reads one row and records nothing is the floor. The store's chain is verified at the end.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

if not __package__:  # run as a script: benchmarks/ itself is on sys.path, not the project
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.consent_servers import machine, store
from ombud.audit import repository, service
from ombud.db import make_engine, unit_of_work
from ombud.migrations import upgrade

ROUNDS = 3  # each way is measured in turn this many times; the median is reported


@contextmanager
def stores() -> Iterator[list[tuple[str, str]]]:
    """A fresh, migrated SQLite file and PostgreSQL database; dropped afterwards."""
    with (
        tempfile.TemporaryDirectory(prefix="ombud-audit-") as folder,
        store("sqlite", Path(folder)) as sqlite,
        store("postgresql", Path(folder)) as postgresql,
    ):
        found = [("SQLite", sqlite), ("PostgreSQL", postgresql)]
        for _, url in found:
            upgrade(url)
        yield found


def _no_single_statement(*_a: Any, **_k: Any) -> None:
    return None


def measure(url: str, transactions: int, entries: int, way: str) -> tuple[float, float]:
    """CPU and wall ms per transaction of ``entries`` entries written the ``way`` named."""
    engine = make_engine(url)
    single = repository.move_head_and_add
    if way == "UPDATE, then INSERT":
        setattr(repository, "move_head_and_add", _no_single_statement)  # noqa: B010
    count = 0 if way == "no entry" else entries

    def one(session: Session) -> None:
        session.execute(text("SELECT 1"))  # the floor: a transaction that reads and commits
        for i in range(count):
            service.record(
                session, action="bench.append", actor="bench", subject_type="thing",
                subject_id=str(i), data={"n": i},
            )  # fmt: skip

    try:
        for _ in range(50):  # warm: statements compiled, connections made, head known
            with unit_of_work(engine) as session:
                one(session)
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        for _ in range(transactions):
            with unit_of_work(engine) as session:
                one(session)
        cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    finally:
        setattr(repository, "move_head_and_add", single)  # noqa: B010
        engine.dispose()
    return cpu / transactions * 1000, wall / transactions * 1000


def _verified(url: str) -> int:
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            result = service.verify(session)
    finally:
        engine.dispose()
    if not result.ok:
        raise SystemExit(f"the chain broke: {result.reason}")
    return result.checked


def main() -> None:
    """Run each way on each store and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=3, help="Entries per transaction.")
    args = parser.parse_args()
    # The chain's key is derived from the secret key; a throwaway one serves a throwaway store.
    os.environ.setdefault("OMBUD_SECRET_KEY", secrets.token_urlsafe(48))
    print(f"machine: {machine()}")
    print(f"{args.transactions} transactions of {args.entries} entries, median of {ROUNDS}")
    print(f"{'store':<11} {'way':<30} {'CPU ms':>7} {'wall ms':>8} {'CPU over floor':>15}")
    with stores() as found:
        for label, url in found:
            ways = ["no entry", "UPDATE, then INSERT"]
            if label == "PostgreSQL":
                ways.append("one statement")
            runs: dict[str, list[tuple[float, float]]] = {w: [] for w in ways}
            for _ in range(ROUNDS):
                for way in ways:
                    runs[way].append(measure(url, args.transactions, args.entries, way))

            median = {
                w: tuple(statistics.median(r[i] for r in runs[w]) for i in (0, 1)) for w in ways
            }
            floor = median["no entry"][0]
            for way in ways:
                cpu, wall = median[way]
                extra = "" if way == "no entry" else f"+{cpu - floor:.3f}"
                print(f"{label:<11} {way:<30} {cpu:>7.3f} {wall:>8.3f} {extra:>15}")
            print(f"{label:<11} chain verified: {_verified(url)} entries")


if __name__ == "__main__":
    main()
