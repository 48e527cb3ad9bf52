"""Benchmark of a full retention run on the demo company's database in PostgreSQL.

    .venv/bin/python benchmarks/retention.py --rows 10000000 [--pg postgresql://postgres@...]

Builds ``postlicht_app`` at about ``--rows`` rows (and a copy of it), dated so that about 10 %
of the rows are past their period (accounts closed, old sign-ins, closed tickets, invoices past
the ten-year hold, analytics older than 13 months, unsubscribed contacts). On one copy Ombud
applies every rule of the demo data map (``ombud.retention.service.run``, store on SQLite in a
temp folder); on the other, hand-written SQL does the same: one ``DELETE ... WHERE ts <=
cutoff`` (or ``UPDATE``) per collection, children first. Both copies must end with the same row
counts. While each side runs, an "application" thread keeps updating random sign-in rows and
records how long its statements wait (long locks show there). Peak Python memory of the Ombud
side is measured with tracemalloc.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import threading
import time
import tracemalloc
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.orm import Session, configure_mappers

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dsr import PER_PERSON, demo_map, machine
from ombud.db import make_engine, unit_of_work
from ombud.demo import appdb
from ombud.migrations import upgrade
from ombud.retention import service

# Dated rows: (g % 10 = 0) picks the 10 % past their period.
LOAD_SQL = [
    """INSERT INTO accounts SELECT g, 'user' || g || '@example.com', 'Person ' || g, NULL, 'DE',
       'de', 'free', 'active', md5(g::text), now() - interval '3 years', now(),
       CASE WHEN g % 10 = 0 THEN now() - interval '90 days'
            WHEN g % 10 = 1 THEN now() - interval '5 days' END
       FROM generate_series(1, {p}) g""",
    """INSERT INTO mailboxes SELECT g, 1 + (g - 1) % {p}, 'box' || g || '@postlicht.example',
       'Box ' || g, 1024, now() FROM generate_series(1, ({p} * 3) / 2) g""",
    """INSERT INTO login_events SELECT g, 1 + (g - 1) % {p}, '10.' || (g % 250) || '.0.1',
       'Mozilla/5.0', true,
       CASE WHEN g % 10 = 0 THEN now() - interval '200 days' ELSE now() - interval '10 days' END
       FROM generate_series(1, {p} * 4) g""",
    """INSERT INTO support_tickets SELECT g, 1 + ((g - 1) * 2) % {p}, 'Help ' || g,
       'Body ' || g, 'closed', now() - interval '4 years',
       CASE WHEN g % 10 = 0 THEN now() - interval '3 years' ELSE now() - interval '1 year' END
       FROM generate_series(1, {p} / 2) g""",
    """INSERT INTO ticket_messages SELECT g, 1 + (g - 1) % ({p} / 2), 'customer',
       'Message ' || g, now() FROM generate_series(1, {p}) g""",
    """INSERT INTO invoices SELECT g, 1 + (g - 1) % {p}, 'INV-' || g, 'Person ' || g,
       'Street ' || g, 'DE' || g, 999, 'EUR',
       CASE WHEN g % 10 = 0 THEN current_date - 4000 ELSE current_date - 365 END
       FROM generate_series(1, {p} * 2) g""",
    """INSERT INTO payment_methods SELECT g, 1 + ((g - 1) * 2) % {p}, 'pm_' || g, 'visa',
       '4242', '12/30', now() FROM generate_series(1, {p} / 2) g""",
    """INSERT INTO marketing_contacts SELECT g, 'user' || (g * 3) || '@example.com', 'First',
       'signup', now() - interval '2 years',
       CASE WHEN g % 10 = 0 THEN now() - interval '60 days' END
       FROM generate_series(1, {p} / 3) g""",
    """INSERT INTO analytics_events SELECT g, md5(g::text)::uuid::text, 1 + (g - 1) % {p},
       '/inbox', NULL, '10.0.0.0', 'Mozilla/5.0',
       CASE WHEN g % 10 = 0 THEN now() - interval '14 months' ELSE now() - interval '1 month' END
       FROM generate_series(1, {p} * 3) g""",
]

# The floor: what the demo's rules do, as a person would write it, children first. Cutoffs are
# the same moments Ombud counts back from (``now`` is passed in).
HAND_SQL = [
    """DELETE FROM mailboxes m USING accounts a WHERE m.account_id = a.id
       AND a.closed_at <= %(now)s - interval '30 days'""",
    """DELETE FROM payment_methods m USING accounts a WHERE m.account_id = a.id
       AND a.closed_at <= %(now)s - interval '30 days'""",
    "DELETE FROM login_events WHERE at <= %(now)s - interval '90 days'",
    """DELETE FROM ticket_messages m USING support_tickets t WHERE m.ticket_id = t.id
       AND t.closed_at <= %(now)s - interval '2 years'""",
    """DELETE FROM support_tickets t WHERE closed_at <= %(now)s - interval '2 years'
       AND NOT EXISTS (SELECT 1 FROM ticket_messages m WHERE m.ticket_id = t.id)""",
    "DELETE FROM invoices WHERE issued_on <= %(now)s - interval '10 years'",
    """UPDATE analytics_events SET device_id = 'erased', account_id = NULL, ip_truncated = NULL,
       user_agent = NULL WHERE at <= %(now)s - interval '13 months' AND (device_id <> 'erased'
       OR account_id IS NOT NULL OR ip_truncated IS NOT NULL OR user_agent IS NOT NULL)""",
    """DELETE FROM accounts a WHERE closed_at <= %(now)s - interval '30 days'
       AND NOT EXISTS (SELECT 1 FROM mailboxes r WHERE r.account_id = a.id)
       AND NOT EXISTS (SELECT 1 FROM login_events r WHERE r.account_id = a.id)
       AND NOT EXISTS (SELECT 1 FROM support_tickets r WHERE r.account_id = a.id)
       AND NOT EXISTS (SELECT 1 FROM invoices r WHERE r.account_id = a.id)
       AND NOT EXISTS (SELECT 1 FROM payment_methods r WHERE r.account_id = a.id)
       AND NOT EXISTS (SELECT 1 FROM analytics_events r WHERE r.account_id = a.id)""",
    "DELETE FROM marketing_contacts WHERE unsubscribed_at <= %(now)s - interval '30 days'",
]


def build(admin: str, name: str, people: int) -> str:
    """Create and load one copy; return its URL."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = admin.rsplit("/", 1)[0] + "/" + name
    engine = make_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    appdb.create_schema(engine)
    engine.dispose()
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        for sql in LOAD_SQL:
            conn.execute(sql.format(p=people))  # type: ignore[arg-type]
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return url


def counts(url: str) -> dict[str, int]:
    """Rows per table, and analytics rows still identifying."""
    out: dict[str, int] = {}
    with psycopg.connect(url) as conn:
        for table in appdb.TABLE_ORDER:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[arg-type]
            out[table] = int(row[0]) if row else 0
        row = conn.execute(
            "SELECT count(*) FROM analytics_events WHERE account_id IS NOT NULL"
        ).fetchone()
        out["analytics identifying"] = int(row[0]) if row else 0
    return out


class Application(threading.Thread):
    """Updates random sign-in rows while a side runs; records each statement's seconds."""

    def __init__(self, url: str, people: int) -> None:
        super().__init__(daemon=True)
        self.url, self.rows = url, people * 4
        self.stop = threading.Event()
        self.latencies: list[float] = []

    def run(self) -> None:
        rng = random.Random(3)
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self.stop.is_set():
                started = time.perf_counter()
                conn.execute(
                    "UPDATE login_events SET success = true WHERE id = %s",
                    [rng.randint(1, self.rows)],
                )
                self.latencies.append(time.perf_counter() - started)
                self.stop.wait(0.01)

    def summary(self) -> str:
        """Statements, p99 and worst wait."""
        if not self.latencies:
            return "-"
        lat = sorted(self.latencies)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        return f"{len(lat)} updates, p99 {p99 * 1000:.1f} ms, worst {lat[-1] * 1000:.0f} ms"


def timed(url: str, people: int, fn: Any) -> tuple[float, str]:
    """Seconds of ``fn()`` with the application thread running, and its summary."""
    app = Application(url, people)
    app.start()
    time.sleep(0.2)
    started = time.perf_counter()
    fn()
    seconds = time.perf_counter() - started
    app.stop.set()
    app.join()
    return seconds, app.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Rows over all tables.")
    parser.add_argument(
        "--pg",
        default=os.environ.get("OMBUD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="Admin URL of the PostgreSQL server; three scratch databases are created there.",
    )
    parser.add_argument(
        "--batch", type=int, default=service.DEFAULT_BATCH, help="Most rows one statement changes."
    )
    args = parser.parse_args()
    # The run writes audit entries, which are keyed: a throwaway key for this scratch store.
    os.environ.setdefault("OMBUD_SECRET_KEY", secrets.token_urlsafe(48))
    people = max(int(args.rows / PER_PERSON), 100)
    suffix = os.urandom(4).hex()
    names = [f"ombud_bench_ret_{suffix}_{side}" for side in ("ombud", "sql", "memory")]
    started = time.perf_counter()
    urls = [build(args.pg, names[0], people)]
    # The other copies are file copies of the first (same rows, same physical order).
    with psycopg.connect(args.pg, autocommit=True) as admin:
        for name in names[1:]:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"')  # type: ignore[arg-type]
            urls.append(args.pg.rsplit("/", 1)[0] + "/" + name)
    load_s = time.perf_counter() - started
    before = counts(urls[0])
    folder = tempfile.mkdtemp(prefix="ombud-bench-")
    store = f"sqlite:///{folder}/store.db"
    upgrade(store)
    store_engine = make_engine(store)
    opener: partial[AbstractContextManager[Session]] = partial(unit_of_work, store_engine)
    try:
        with psycopg.connect(urls[1]) as conn:
            info = machine(conn)
            now = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]

        datamap = demo_map(urls[0])
        # Ombud's ORM mappers are configured once per process (a server has done it long
        # before its nightly run): the run's time starts after that.
        configure_mappers()

        def ours() -> None:
            if os.environ.get("OMBUD_BENCH_PROFILE"):
                import cProfile

                cProfile.runctx(
                    "service.run(opener, datamap, batch=args.batch)",
                    globals(),
                    {"opener": opener, "datamap": datamap, "args": args},
                    os.environ["OMBUD_BENCH_PROFILE"],
                )
                return
            service.run(opener, datamap, batch=args.batch)

        def floor() -> None:
            with psycopg.connect(urls[1]) as conn:
                for sql in HAND_SQL:
                    conn.execute(sql, {"now": now})  # type: ignore[arg-type]
                conn.commit()

        ours_s, ours_app = timed(urls[0], people, ours)
        floor_s, floor_app = timed(urls[1], people, floor)
        after = [counts(u) for u in urls[:2]]
        # Memory in a run of its own, on the third copy with a store of its own: tracing every
        # allocation slows Python down several times, which would count against Ombud's time.
        upgrade(memory_store := f"sqlite:///{folder}/memory.db")
        memory_engine = make_engine(memory_store)
        tracemalloc.start()
        service.run(partial(unit_of_work, memory_engine), demo_map(urls[2]), batch=args.batch)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        memory_engine.dispose()
    finally:
        store_engine.dispose()
        with psycopg.connect(args.pg, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    changed = {t: before[t] - after[0][t] for t in appdb.TABLE_ORDER}
    print()
    for key, value in info.items():
        print(f"{key:<11} {value}")
    print(
        f"{'data':<11} {sum(before[t] for t in appdb.TABLE_ORDER):,} rows per copy "
        f"({people:,} accounts), two copies loaded in {load_s:.1f} s; batch {args.batch}"
    )
    print(f"{'same end':<11} {'yes' if after[0] == after[1] else 'NO: ' + str(after)}")
    print("deleted     " + ", ".join(f"{t} {n:,}" for t, n in changed.items() if n))
    anonymised = before["analytics identifying"] - after[0]["analytics identifying"]
    print(f"anonymised  analytics_events {anonymised:,}")
    print()
    print(f"{'measure':<30} {'Ombud':>10} {'hand SQL':>10} {'ratio':>7}")
    print(f"{'full retention run':<30} {ours_s:>9.2f}s {floor_s:>9.2f}s {ours_s / floor_s:>6.2f}x")
    print(f"{'peak Python memory (Ombud)':<30} {peak / 1e6:>8.1f}MB")
    print(f"{'application during Ombud':<30} {ours_app}")
    print(f"{'application during hand SQL':<30} {floor_app}")
    print(f"{'load average':<30} {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
