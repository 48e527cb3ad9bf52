"""Benchmark of the consent ledger on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/consent.py [--stores sqlite,postgresql] [--records 10000000]
        [--sqlite-records N] [--single 3000] [--bulk-batches 20] [--concurrency 32,128]
        [--single-only]

Columns of the table: ``single/s`` single decisions per second as the clients saw them;
``cpu-ms`` CPU milliseconds (user + system, from /proc) the server processes spent per single
decision; ``db-ms`` the same for the PostgreSQL backends of the store (backends that exit
during the run are left out); ``cap/s`` cores / (cpu-ms + db-ms), the single decisions per
second the machine could reach with the clients elsewhere. CPU per decision depends neither
on the client threads sharing the cores nor on other load, so runs on a busy machine compare.
A website's banner clicks arrive from many browsers at once, and each server process commits
the decisions arriving together in one transaction (docs/consent.md, "Group commit"), so the
single decisions are sent by 32 clients and again by 128 (one table line each): with more
decisions in flight, each transaction carries more of them. Each client sends 5 decisions
first (connections, token cache) before the clock starts.

For each store: a fresh migrated store with a small data map and one staff token; real
uvicorn servers (``--workers`` single-process servers on free localhost ports, clients spread
over them; one on SQLite); then
1. single decisions: ``--single`` POSTs of ``/api/v1/consent/decisions`` from each count of
   ``--concurrency`` client threads in turn (raw keep-alive sockets, so the client costs
   little CPU; SQLite uses ``--sqlite-concurrency``);
2. bulk decisions: ``--bulk-batches`` POSTs of 1,000 decisions to ``/decisions/bulk``;
3. the ledger is filled to ``--records`` records (PostgreSQL: COPY; SQLite: executemany) for
   ``records / 10`` people with 10 decisions each over 5 purposes, plus the current state;
4. bulk check of 100,000 identities (about half contactable) for one purpose, median of 5, in
   process (``service.check_contactable``) and through HTTP (``POST /api/v1/consent/check``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg

from ombud.config import Settings
from ombud.consent import service
from ombud.consent.schemas import BulkCheckCreate
from ombud.db import make_engine, session_factory

if not __package__:  # run as a script: benchmarks/ itself is on sys.path, not the project
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.consent_fill import PURPOSES, fill
from benchmarks.consent_servers import (
    PG_ADMIN,
    RawClient,
    Server,
    cpu_seconds,
    machine,
    prepare,
    servers,
    store,
)

CHECK_SIZE = 100_000


@dataclass(frozen=True)
class SingleRun:
    """Single decisions: wall-clock rate, and what they cost the server processes."""

    rate: float  # decisions per second, as the clients saw them
    cpu_ms: float  # server CPU milliseconds (user + system, all server processes) per decision
    db_cpu_ms: float  # PostgreSQL backends' CPU milliseconds per decision (0 on SQLite)
    client_cpu_ms: float  # this process's (the clients') CPU milliseconds per decision

    @property
    def capacity(self) -> float:
        """Decisions per second the server processes could do on ``os.cpu_count()`` cores
        (server CPU alone; the clients' own CPU left out)."""
        cost = self.cpu_ms + self.db_cpu_ms
        return (os.cpu_count() or 1) * 1000 / cost if cost else float("nan")


NAN_RUN = SingleRun(float("nan"), float("nan"), float("nan"), float("nan"))
WARMUP = 5


def db_backends(url: str) -> list[int]:
    """Process ids of the PostgreSQL backends connected to the store (none for SQLite)."""
    if not url.startswith("postgresql"):
        return []
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return [int(r[0]) for r in rows]


def single(servers: list[Server], url: str, token: str, total: int, concurrency: int) -> SingleRun:
    """Decisions per second through POST /decisions from ``concurrency`` threads, with the
    server CPU they took."""
    bases = [s.base for s in servers]
    pids = [s.pid for s in servers]
    per = total // concurrency
    errors: list[str] = []
    bodies = [
        [
            json.dumps(
                {
                    "email": f"single{n}-{i}@example.com",
                    "purpose": PURPOSES[i % 5],
                    "decision": "granted",
                    "method": "api",
                    "ip": "203.0.113.9",
                }
            ).encode()
            for i in range(per)
        ]
        for n in range(concurrency)
    ]

    # Every client sends WARMUP decisions first (connections, token cache, database
    # backends), then all start together with the clock.
    ready = threading.Barrier(concurrency + 1)

    def worker(n: int) -> None:
        client = RawClient(bases[n % len(bases)])
        try:
            for i, body in enumerate(bodies[n]):
                if i == WARMUP:
                    ready.wait()
                status, data = client.post("/api/v1/consent/decisions", token, body)
                if status != 201:
                    errors.append(data.decode(errors="replace"))
                    ready.abort()
                    return
        finally:
            client.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    with contextlib.suppress(threading.BrokenBarrierError):
        ready.wait()
    backends = db_backends(url)
    cpu_before, client_before = cpu_seconds(pids), time.process_time()
    db_before = {p: cpu_seconds([p]) for p in backends}
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(pids) - cpu_before
    # Backends that exited meanwhile are left out of both sides; new ones count whole.
    db = sum(cpu_seconds([p]) - db_before.get(p, 0.0) for p in db_backends(url))
    client = time.process_time() - client_before
    if errors:
        # Reported, not fatal: the table shows nan for the run.
        print(f"single decisions failed: {errors[0][:300]}", file=sys.stderr)
        return NAN_RUN
    done = (per - WARMUP) * concurrency
    return SingleRun(done / elapsed, cpu * 1000 / done, db * 1000 / done, client * 1000 / done)


def bulk(base: str, token: str, batches: int) -> float:
    """Decisions per second through POST /decisions/bulk with 1,000 per request."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        start = time.perf_counter()
        for b in range(batches):
            body = {
                "decisions": [
                    {
                        "email": f"bulk{b}-{i}@example.com",
                        "purpose": PURPOSES[i % 5],
                        "decision": "granted",
                        "method": "import",
                    }
                    for i in range(1000)
                ]
            }
            res = client.post("/api/v1/consent/decisions/bulk", json=body)
            if res.status_code != 201:
                print(f"bulk decisions failed: {res.text[:300]}", file=sys.stderr)
                return float("nan")
        return batches * 1000 / (time.perf_counter() - start)


def check(url: str, base: str, token: str, records: int, settings: Settings) -> tuple[float, float]:
    """Median seconds of the bulk check in process and through HTTP."""
    people = records // 10
    # Spread over all people; about half contactable (even numbers kept their grant).
    # An odd stride spreads the sample over everyone and keeps parity: half are granted.
    identities = [f"user{(i * 7919) % people}@example.com" for i in range(CHECK_SIZE)]
    body = BulkCheckCreate(purpose="newsletter", identities=identities)
    engine = make_engine(url)
    timings = []
    result = None
    for _ in range(5):
        with session_factory(engine)() as session:
            start = time.perf_counter()
            result = service.check_contactable(session, body=body, settings=settings)
            timings.append(time.perf_counter() - start)
    engine.dispose()
    assert result is not None and result.checked == CHECK_SIZE
    assert 0.3 * CHECK_SIZE < len(result.contactable) < 0.7 * CHECK_SIZE, len(result.contactable)
    http = []
    payload = json.dumps({"purpose": "newsletter", "identities": identities})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for _ in range(5):
            start = time.perf_counter()
            res = client.post("/api/v1/consent/check", content=payload)
            http.append(time.perf_counter() - start)
            assert res.status_code == 200, res.text[:300]
    return statistics.median(timings), statistics.median(http)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--sqlite-records", type=int, default=None)
    parser.add_argument("--single", type=int, default=3000)
    parser.add_argument("--bulk-batches", type=int, default=20)
    parser.add_argument(
        "--concurrency",
        default="32,128",
        help="client threads sending single decisions; several counts, comma-separated, "
        "are measured in turn",
    )
    parser.add_argument("--workers", type=int, default=2, help="server processes (PostgreSQL)")
    parser.add_argument(
        "--sqlite-concurrency",
        type=int,
        default=2,
        help="client threads on SQLite (one server process: SQLite has one writer at a time, "
        "so a second process only waits for the lock)",
    )
    parser.add_argument(
        "--single-only",
        action="store_true",
        help="measure single decisions only (no bulk, no fill, no check): quick comparisons",
    )
    args = parser.parse_args()
    _enough(args.single, [args.sqlite_concurrency, *_counts(args.concurrency)])
    print(machine())
    rows = []
    nan = float("nan")
    for kind in args.stores.split(","):
        records = args.sqlite_records if kind == "sqlite" and args.sqlite_records else args.records
        bulk_rate, load, in_proc, over_http = nan, nan, nan, nan
        with tempfile.TemporaryDirectory() as tmp, store(kind, Path(tmp)) as url:
            settings, token = prepare(url, Path(tmp))
            sqlite = kind == "sqlite"
            counts = [args.sqlite_concurrency] if sqlite else _counts(args.concurrency)
            workers = 1 if sqlite else args.workers
            with servers(url, workers) as procs:
                base = procs[0].base
                runs = []
                for clients in counts:
                    run = single(procs, url, token, args.single, clients)
                    print(
                        f"{kind} ({clients} clients): single {run.rate:,.0f}/s, server "
                        f"{run.cpu_ms:.2f} CPU-ms/decision, database {run.db_cpu_ms:.2f}, "
                        f"clients {run.client_cpu_ms:.2f}",
                        file=sys.stderr,
                    )
                    runs.append((clients, run))
                if not args.single_only:
                    bulk_rate = bulk(base, token, args.bulk_batches)
                    print(f"{kind}: bulk {bulk_rate:,.0f}/s", file=sys.stderr)
                    load = fill(kind, url, records, settings)
                    print(f"{kind}: loaded {records:,} records in {load:.0f} s", file=sys.stderr)
                    in_proc, over_http = check(url, base, token, records, settings)
        filled = 0 if args.single_only else records
        for i, (clients, run) in enumerate(runs):
            if i == 0:
                rows.append((kind, clients, run, bulk_rate, filled, load, in_proc, over_http))
            else:  # the other columns were measured once, on the first line
                rows.append((kind, clients, run, nan, 0, nan, nan, nan))
        print(f"{kind}: done", file=sys.stderr)
    print()
    print(
        f"{'store':<11}{'single/s':>10}{'cpu-ms':>8}{'db-ms':>7}{'cap/s':>8}{'bulk/s':>10}{'ledger':>12}"
        f"{'load s':>8}{'check 100k (service)':>22}{'check 100k (HTTP)':>19}"
    )
    for kind, c, r, b, n, load, ip, oh in rows:
        print(
            f"{kind + f' ({c}c)':<11}{r.rate:>10,.0f}{r.cpu_ms:>8.2f}{r.db_cpu_ms:>7.2f}"
            f"{r.capacity:>8,.0f}{b:>10,.0f}{n:>12,}{load:>8.0f}{ip:>20.3f} s{oh:>17.3f} s"
        )
    print(
        f"(single: {args.single} requests from (N c) client threads, each count in turn; "
        "cpu-ms: server CPU (user + system) per decision; db-ms: PostgreSQL backends' CPU "
        "per decision; cap/s: "
        f"{os.cpu_count()} cores / (cpu-ms + db-ms); uvicorn "
        f"workers: {args.workers} on PostgreSQL, 1 on SQLite; bulk: {args.bulk_batches} x "
        "1,000; check: median of 5)"
    )


def _counts(text: str) -> list[int]:
    """Client counts from ``--concurrency`` (``32,128``)."""
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise SystemExit(f"--concurrency: {text!r} is not a list of numbers, e.g. 32,128") from None
    if not counts or min(counts) < 1:
        raise SystemExit(f"--concurrency: {text!r}: give at least one count of 1 or more")
    return counts


def _enough(total: int, counts: list[int]) -> None:
    """Refuse a ``--single`` too small to give every client a decision past its warm-up."""
    for clients in counts:
        if total // clients <= WARMUP:
            raise SystemExit(
                f"--single {total}: {clients} clients each need more than {WARMUP} decisions "
                f"(their warm-up); give at least {clients * (WARMUP + 1)}"
            )


if __name__ == "__main__":
    main()
