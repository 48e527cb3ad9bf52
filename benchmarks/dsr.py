"""Benchmark of request execution on the demo company's database in PostgreSQL.

    .venv/bin/python benchmarks/dsr.py --rows 1000000 [--pg postgresql://postgres@127.0.0.1/postgres]

Builds ``postlicht_app`` (``ombud.demo.appdb``) at about ``--rows`` rows over all tables with
``generate_series`` SQL (indexes on identity and reference columns come from the schema), then
measures through Ombud's engine (``execute_batch``, no store bookkeeping) and through
hand-written SQL doing the same reads and writes: one access request (median), 1,000 access
requests in one batch, 1,000 erasures in one batch (medians of ``--rounds``, the side that goes
first alternating). Erasures run on disjoint sets of 1,000 people for the engine and for the
SQL floor, so both change the same amount of fresh data. The floor reads each table once and
writes what the demo data map asks for: random strings computed by the server, invoices past
their ten-year legal hold masked, the others kept.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine

from ombud.datamap.loader import parse_files, read_files
from ombud.datamap.schemas import Connection, DataMap
from ombud.demo import appdb
from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch

DEMO_MAP = Path(__file__).resolve().parents[1] / "src" / "ombud" / "demo" / "datamap"
# Rows per account of each table (about 13.8 rows per person in total).
PER_PERSON = 13.8

LOAD_SQL = [
    """INSERT INTO accounts SELECT g, 'user' || g || '@example.com', 'Person ' || g,
       '+49' || lpad(g::text, 10, '0'), 'DE', 'de', 'free', 'active', md5(g::text),
       now() - interval '1 year', now(), NULL FROM generate_series(1, {p}) g""",
    """INSERT INTO mailboxes SELECT g, 1 + (g - 1) % {p}, 'box' || g || '@postlicht.example',
       'Box ' || g, 1024, now() FROM generate_series(1, ({p} * 3) / 2) g""",
    """INSERT INTO login_events SELECT g, 1 + (g - 1) % {p}, '10.' || (g % 250) || '.0.1',
       'Mozilla/5.0', true, now() FROM generate_series(1, {p} * 4) g""",
    """INSERT INTO support_tickets SELECT g, 1 + ((g - 1) * 2) % {p}, 'Help ' || g,
       'Body of ticket ' || g, 'open', now(), NULL FROM generate_series(1, {p} / 2) g""",
    """INSERT INTO ticket_messages SELECT g, 1 + (g - 1) % ({p} / 2), 'customer',
       'Message ' || g, now() FROM generate_series(1, {p}) g""",
    # Issued over the last twelve years: about one in six is past the ten-year legal hold.
    """INSERT INTO invoices SELECT g, 1 + (g - 1) % {p}, 'INV-' || g, 'Person ' || g,
       'Street ' || g, 'DE' || g, 999, 'EUR', current_date - (g * 37) % 4383
       FROM generate_series(1, {p} * 2) g""",
    """INSERT INTO payment_methods SELECT g, 1 + ((g - 1) * 2) % {p}, 'pm_' || g, 'visa',
       '4242', '12/30', now() FROM generate_series(1, {p} / 2) g""",
    """INSERT INTO marketing_contacts SELECT g, 'user' || (g * 3) || '@example.com',
       'First', 'signup', now(), NULL FROM generate_series(1, {p} / 3) g""",
    """INSERT INTO analytics_events SELECT g, md5(g::text)::uuid::text, 1 + (g - 1) % {p},
       '/inbox', NULL, '10.0.0.0', 'Mozilla/5.0', now() FROM generate_series(1, {p} * 3) g""",
]


def machine(pg: psycopg.Connection[Any]) -> dict[str, str]:
    """CPU model, cores, RAM and the PostgreSQL version."""
    cpu = platform.processor() or "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    row = pg.execute("SHOW server_version").fetchone()
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "PostgreSQL": str(row[0]) if row else "?",
        "Python": platform.python_version(),
    }


def build(admin: str, rows: int) -> tuple[str, int, dict[str, int], float]:
    """Create and load the demo database; return (URL, people, rows per table, seconds)."""
    name = f"ombud_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.rsplit("/", 1)[0] + "/" + name
    people = max(int(rows / PER_PERSON), 100)
    started = time.perf_counter()
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    appdb.create_schema(engine)
    engine.dispose()
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        for sql in LOAD_SQL:
            conn.execute(sql.format(p=people))  # type: ignore[arg-type]
        conn.commit()
    counts: dict[str, int] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        for table in appdb.TABLE_ORDER:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[arg-type]
            counts[table] = int(row[0]) if row else 0
    return url, people, counts, time.perf_counter() - started


def demo_map(url: str) -> DataMap:
    """The demo data map pointed at the benchmark database."""
    dm = parse_files(read_files(DEMO_MAP))
    dm.connection = [Connection(name=appdb.CONNECTION_NAME, url=url)]
    # The demo's help desk and mailing service are handled by hand (a task waits for a person);
    # the benchmarks measure what Ombud does itself, so every system counts as connected here.
    for item in [*dm.system, *dm.recipient]:
        item.manual = False
    return dm


def engine_batch(dm: DataMap, pool: ConnectorPool, kind: str, people: list[int]) -> float:
    """Seconds for one engine batch."""
    plan = build_plan(dm)
    specs = [RequestSpec(f"r{n}", kind, {"email": f"user{n}@example.com"}) for n in people]
    started = time.perf_counter()
    out = execute_batch(plan, specs, pool=pool, journal=MemoryJournal(), key=b"bench-key")
    elapsed = time.perf_counter() - started
    if kind == "access":
        assert all(out[s.id].rows.get("postlicht_app.accounts") for s in specs)
    else:
        changed = {c.collection: c for s in specs for c in out[s.id].changes}
        assert changed["postlicht_app.accounts"].rows == 1
    return elapsed


ACCESS_SQL = [
    (
        "SELECT id, email, name, phone, country, language, plan, password_hash, last_login_at "
        "FROM accounts WHERE email = ANY(%s)",
        "emails",
    ),
    (
        "SELECT id, email, first_name, subscribed_at, unsubscribed_at FROM marketing_contacts "
        "WHERE email = ANY(%s)",
        "emails",
    ),
    (
        "SELECT id, account_id, address, display_name FROM mailboxes WHERE account_id = ANY(%s)",
        "ids",
    ),
    (
        "SELECT id, account_id, ip_address, user_agent FROM login_events "
        "WHERE account_id = ANY(%s)",
        "ids",
    ),
    ("SELECT id, account_id, subject, body FROM support_tickets WHERE account_id = ANY(%s)", "ids"),
    (
        "SELECT id, account_id, billing_name, billing_address, vat_id, amount_cents FROM invoices "
        "WHERE account_id = ANY(%s)",
        "ids",
    ),
    (
        "SELECT id, account_id, provider_ref, card_brand, card_last4, expiry FROM payment_methods "
        "WHERE account_id = ANY(%s)",
        "ids",
    ),
    (
        "SELECT id, device_id, account_id, path, referrer, ip_truncated, user_agent "
        "FROM analytics_events WHERE account_id = ANY(%s)",
        "ids",
    ),
]


def sql_access(conn: psycopg.Connection[Any], people: list[int]) -> float:
    """Seconds for the same reads in hand-written SQL (each table read once, as Ombud does)."""
    emails = [f"user{n}@example.com" for n in people]
    started = time.perf_counter()
    ids = [r[0] for r in conn.execute(ACCESS_SQL[0][0], [emails]).fetchall()]
    tickets: list[int] = []
    for sql, arg in ACCESS_SQL[1:]:
        rows = conn.execute(sql, [emails if arg == "emails" else ids]).fetchall()  # type: ignore[arg-type]
        if "FROM support_tickets" in sql:
            tickets = [r[0] for r in rows]
    conn.execute(
        "SELECT id, ticket_id, body FROM ticket_messages WHERE ticket_id = ANY(%s)", [tickets]
    ).fetchall()
    conn.rollback()
    return time.perf_counter() - started


def sql_erasure(conn: psycopg.Connection[Any], people: list[int]) -> float:
    """Seconds for the same changes in hand-written SQL."""
    emails = [f"user{n}@example.com" for n in people]
    started = time.perf_counter()
    ids = [r[0] for r in conn.execute("SELECT id FROM accounts WHERE email = ANY(%s)", [emails])]
    tickets = [
        r[0]
        for r in conn.execute("SELECT id FROM support_tickets WHERE account_id = ANY(%s)", [ids])
    ]
    statements: list[tuple[str, list[Any]]] = [
        ("UPDATE ticket_messages SET body = NULL WHERE ticket_id = ANY(%s)", [tickets]),
        (
            "UPDATE analytics_events SET device_id = 'erased', path = 'erased', referrer = NULL, "
            "ip_truncated = NULL, user_agent = NULL WHERE account_id = ANY(%s)",
            [ids],
        ),
        ("DELETE FROM payment_methods WHERE account_id = ANY(%s)", [ids]),
        (
            "UPDATE support_tickets SET subject = '[erased]', body = NULL "
            "WHERE account_id = ANY(%s)",
            [ids],
        ),
        ("DELETE FROM login_events WHERE account_id = ANY(%s)", [ids]),
        (
            "UPDATE mailboxes SET address = md5(random()::text) || '@erased.invalid', "
            "display_name = NULL WHERE account_id = ANY(%s)",
            [ids],
        ),
        ("DELETE FROM marketing_contacts WHERE email = ANY(%s)", [emails]),
        # The legal hold on invoices ends ten years after issued_on (demo retention.yaml).
        (
            "UPDATE invoices SET billing_name = NULL, billing_address = NULL, vat_id = NULL "
            "WHERE account_id = ANY(%s) AND issued_on <= now() - interval '10 years'",
            [ids],
        ),
        (
            "UPDATE accounts SET email = md5(random()::text) || '@erased.invalid', "
            "name = 'Erased customer', phone = NULL, password_hash = md5(random()::text), "
            "last_login_at = NULL WHERE id = ANY(%s)",
            [ids],
        ),
    ]
    for sql, params in statements:
        conn.execute(sql, params)  # type: ignore[arg-type]
        conn.commit()
    return time.perf_counter() - started


def check_erased(conn: psycopg.Connection[Any], people: list[int]) -> tuple[int, int]:
    """Both sides leave the same state: accounts masked, no login events left, invoices past
    the hold masked and the others intact. Returns (invoices masked, invoices kept)."""
    ids = list(people)  # account ids are the person numbers of the generated data
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE email NOT LIKE '%%@erased.invalid'),"
        " (SELECT count(*) FROM login_events WHERE account_id = ANY(%s)),"
        " (SELECT count(*) FROM invoices WHERE account_id = ANY(%s)"
        "   AND (billing_name IS NULL) <> (issued_on <= now() - interval '10 years')),"
        " (SELECT count(*) FROM invoices WHERE account_id = ANY(%s) AND billing_name IS NULL),"
        " (SELECT count(*) FROM invoices WHERE account_id = ANY(%s) AND billing_name IS NOT NULL)"
        " FROM accounts WHERE id = ANY(%s)",
        [ids, ids, ids, ids, ids],
    ).fetchone()
    conn.rollback()
    assert row is not None and row[:3] == (0, 0, 0), row
    return int(row[3]), int(row[4])


def median_of(runs: int, fn: Callable[[], float]) -> float:
    """Median of ``runs`` timings."""
    return statistics.median(fn() for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows", type=int, default=1_000_000, help="Rows over all tables (1000000, 10000000)."
    )
    parser.add_argument(
        "--pg",
        default=os.environ.get("OMBUD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="Admin URL of the PostgreSQL server; a scratch database is created there.",
    )
    parser.add_argument(
        "--requests", type=int, default=1000, help="Requests per batch measurement."
    )
    parser.add_argument(
        "--single-runs", type=int, default=25, help="Runs of the single request (median)."
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="Rounds of the batch measurements (median; who goes first alternates).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    url, people, counts, load_s = build(args.pg, args.rows)
    total = sum(counts.values())
    rng = random.Random(7)
    # Per round: one access set (read by both) and two disjoint erasure sets, one for each side,
    # so both change the same amount of fresh data.
    per_round = 3 * args.requests
    rounds = max(1, min(args.rounds, (people - 2 * args.single_runs) // per_round))
    pool_people = rng.sample(
        range(1, people + 1), min(people, rounds * per_round + 2 * args.single_runs)
    )
    singles = pool_people[rounds * per_round :]
    dm = demo_map(url)
    timings: dict[str, tuple[list[float], list[float]]] = {
        "access": ([], []),
        "erasure": ([], []),
    }
    checked: list[tuple[tuple[int, int], tuple[int, int]]] = []
    load_before = os.getloadavg()
    try:
        with ConnectorPool(dm) as pool, psycopg.connect(url) as conn:
            info = machine(conn)
            engine_batch(dm, pool, "access", singles[:3])  # warm up plans and caches
            sql_access(conn, singles[:3])
            it = iter(singles)
            one_engine = median_of(
                args.single_runs, lambda: engine_batch(dm, pool, "access", [next(it)])
            )
            it2 = iter(singles)
            one_sql = median_of(args.single_runs, lambda: sql_access(conn, [next(it2)]))
            for r in range(rounds):
                chunk = pool_people[r * per_round : (r + 1) * per_round]
                access_set = chunk[: args.requests]
                erase_engine = chunk[args.requests : 2 * args.requests]
                erase_sql = chunk[2 * args.requests :]
                runs: list[tuple[str, int, Callable[[], float]]] = [
                    ("access", 0, partial(engine_batch, dm, pool, "access", access_set)),
                    ("access", 1, partial(sql_access, conn, access_set)),
                    ("erasure", 0, partial(engine_batch, dm, pool, "erasure", erase_engine)),
                    ("erasure", 1, partial(sql_erasure, conn, erase_sql)),
                ]
                if r % 2:
                    runs = [runs[1], runs[0], runs[3], runs[2]]
                for kind, side, run in runs:
                    timings[kind][side].append(run())
                checked.append((check_erased(conn, erase_engine), check_erased(conn, erase_sql)))
    finally:
        if not args.keep:
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(args.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
    load_after = os.getloadavg()
    n = args.requests
    results = [("1 access request (median)", one_engine, one_sql)] + [
        (
            f"{n} {'access requests' if kind == 'access' else 'erasures'}",
            statistics.median(ours),
            statistics.median(floor),
        )
        for kind, (ours, floor) in timings.items()
    ]

    print()
    for key, value in info.items():
        print(f"{key:<11} {value}")
    print(
        f"{'data':<11} {total:,} rows over {len(counts)} tables ({people:,} accounts), "
        f"loaded in {load_s:.1f} s"
    )
    print("            " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print(
        f"{'load':<11} {load_before[0]:.2f} before, {load_after[0]:.2f} after "
        f"(1-minute average; {rounds} rounds, median)"
    )
    print(
        f"{'checked':<11} invoices masked/kept after each round's erasures, Ombud vs SQL: "
        + ", ".join(f"{a[0]}/{a[1]} vs {b[0]}/{b[1]}" for a, b in checked)
    )
    print()
    print(f"{'measure':<28} {'Ombud':>10} {'hand SQL':>10} {'ratio':>7}")
    for label, ours, floor in results:
        print(f"{label:<28} {ours * 1000:>8.1f}ms {floor * 1000:>8.1f}ms {ours / floor:>6.2f}x")


if __name__ == "__main__":
    main()
