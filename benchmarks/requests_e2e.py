"""End-to-end benchmark of requests: real ``ombud serve`` (and ``ombud worker``) processes.

    .venv/bin/python -m benchmarks.requests_e2e --people 50000 [--workers 2 --broker URL]
    .venv/bin/python -m benchmarks.requests_e2e --quick

Builds the demo company's database (``benchmarks.dsr.build``) and Ombud's store in PostgreSQL,
applies the demo data map, starts the server (embedded: it runs requests itself; with ``--workers
M``: M ``ombud worker`` processes behind a broker) and drives requests as a client would:
staff-created through ``POST /api/v1/requests/bulk`` (identity checked) or, with ``--intake
public``, made through the public API and confirmed with the code read from the letter, approved
through ``POST /api/v1/requests/approve``, executed, the access package written and the letter
queued (mail goes to .eml files, or with ``--mail smtp|starttls`` over SMTP to a local aiosmtpd
server). Staff approve once the intake's letters have left, so the clock runs from approval to
completion without them. Reports, for access and erasure, the median and p95 latency from the
approval's answer to ``completed`` one request at a time (as the client saw it, polling the API
every 10 ms or, with ``--wait store``, watching the store so that the server answers no polls; and
as the store stamped it, ``decided_at`` to ``closed_at``, and for access the part up to the
claim that ran it), completions per second with
``--concurrent`` requests approved at once, CPU per request (all processes, and the server's by
phase from ``/api/v1/metrics``, summed over the API processes: intake, verification, approval,
claim, execution, package, completion, letter, mail), the engine-only floor (``execute_batch`` on
the same number of other people, no store, no HTTP), the work every request adds to it wherever it
runs (the access package built from those rows, and a completion letter composed and written:
``benchmarks.e2e_floor``), and the ratios end to end / engine with that work and end to end /
engine alone. The last line is the engine-only ratio. ``--quick`` runs in under a minute on a small
company. The time a fixed workload takes, at the start and at the end, says how fast the machine
was meanwhile: a virtual machine's speed moves, so compare runs made back to back.

``--modes 0,1,2,4`` runs the embedded mode and 1, 2 and 4 workers one after the other on the same
company (a fresh store each, other people) and ends with a table per mode: completions per
second, and the CPU-seconds the server, the workers and the whole machine spent on the
concurrent batch, which say where the ceiling is (a process near 1 CPU-second per second is
saturated; the machine near its core count is).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg

if not __package__:  # run as a script: benchmarks/ itself is on sys.path, not the project
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.dsr import PER_PERSON, build
from benchmarks.e2e_floor import ENGINE_RUNS, letter_text, measure
from benchmarks.e2e_harness import (
    KINDS,
    MAIL_WAYS,
    ROOT,
    Client,
    completed,
    drop,
    free_port,
    letters_in,
    machine_cpu,
    machine_speed,
    mail_settled,
    mail_sink,
    make_store,
    p95,
    report,
    server_latency,
    session_cpu,
    start,
    stop,
    store_commits,
    wait_done,
    wait_done_in_store,
)
from benchmarks.e2e_public import LIMITS, Public
from ombud.cli.worker import MAX_THREADS
from ombud.config import Settings, get_settings


def run_mode(
    args: argparse.Namespace, workers: int, bench_url: str, pool_people: Iterator[int]
) -> dict[str, dict[str, float]]:
    """Start a fresh store, the server and ``workers`` workers; measure both kinds."""
    store_url, token = make_store(args.pg, bench_url)
    folder = Path(tempfile.mkdtemp(prefix="ombud-e2e-"))
    port = free_port()
    tag = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
        "OMBUD_DATABASE_URL": store_url,
        "OMBUD_DATA_DIR": str(folder / "data"),
        "OMBUD_BASE_URL": f"http://127.0.0.1:{port}",
        "OMBUD_RETENTION_SCHEDULE": "",
        "OMBUD_EXECUTION_INTERVAL_SECONDS": str(args.interval),
    }
    mail_env, smtp = mail_sink(args.mail, folder)
    env |= mail_env | (LIMITS if args.intake == "public" else {})
    if workers:
        env |= {
            "OMBUD_BROKER_URL": args.broker,
            "OMBUD_BROKER_QUEUE": f"ombud-bench-{tag}",
            "OMBUD_REDIS_PREFIX": f"ombud-bench-{tag}:",
        }
    else:
        env["OMBUD_EXECUTE_IN_SERVER"] = "true"
    procs = [
        start(["serve", "--port", str(port), "--workers", str(args.api)], env, folder / "serve.log")
    ]
    for i in range(workers):
        procs.append(
            start(
                ["worker", f"--concurrency={args.concurrency}", "--loglevel=warning"],
                env,
                folder / f"worker{i}.log",
            )
        )
    base = f"http://127.0.0.1:{port}"
    results: dict[str, dict[str, float]] = {}
    leaders = [p.pid for p in procs]
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start; see {folder / 'serve.log'}")
            time.sleep(0.2)
        client = Client(base, token)
        plain = store_url.replace("postgresql+psycopg://", "postgresql://", 1)
        watch = psycopg.connect(plain, autocommit=True)
        public = Public(base, args.mail, folder) if args.intake == "public" else None

        def intake(kind: str, people: list[int]) -> list[str]:
            """Staff-created requests, or public ones confirmed with the mailed code."""
            if public is None:
                return client.create(kind, people)
            made = public.submit(kind, people)
            mail_settled(watch)  # the codes have left
            return public.confirm(made)

        for kind in KINDS:
            lat: list[float] = []
            singles: list[str] = []
            single_cpu = 0.0
            single_phases: dict[str, float] = {}
            for _ in range(args.single):
                (rid,) = intake(kind, [next(pool_people)])
                singles.append(rid)
                # Staff approve after the intake's letters have left, not while they leave.
                mail_settled(watch)
                before = client.phases(args.api)
                spent0 = session_cpu(leaders)[0]
                client.approve([rid])
                t0 = time.perf_counter()
                body = (
                    wait_done(client, rid) if args.wait == "api" else wait_done_in_store(watch, rid)
                )
                lat.append(time.perf_counter() - t0)
                single_cpu += session_cpu(leaders)[0] - spent0
                mail_settled(watch)  # the completion letter has left: its mail is counted
                for name, v in client.phases(args.api).items():
                    spent = v["cpu_seconds"] - before[name]["cpu_seconds"]
                    single_phases[name] = single_phases.get(name, 0.0) + spent
                if kind == "access":
                    assert body["result"].get("export_id") or body["result"].get("no_data")
            stamped, claimed = server_latency(store_url, singles)
            batch = [next(pool_people) for _ in range(args.concurrent)]
            mail_settled(watch)
            phases0 = client.phases(args.api)
            ids = intake(kind, batch)
            mail_settled(watch)
            cpu0, machine0 = session_cpu(leaders), machine_cpu()
            commits0 = store_commits(store_url)
            t0 = time.perf_counter()
            client.approve(ids)
            polls = 0
            while completed(watch, ids) < len(ids):
                polls += 1
                time.sleep(0.05)
            e2e = time.perf_counter() - t0
            cpu1, machine1 = session_cpu(leaders), machine_cpu()
            polls += mail_settled(watch)
            phases1 = client.phases(args.api)
            # The approval call, the polls here and the readings are transactions too.
            commits = store_commits(store_url) - commits0 - polls - 3
            # The engine on three sets of other people (its median is the floor).
            floor_people = [next(pool_people) for _ in range(ENGINE_RUNS * args.concurrent)]
            text = letter_text(letters_in(args.mail, folder), kind)
            floor = measure(bench_url, get_settings(), kind, floor_people, text)
            results[kind] = {
                **{
                    f"phase:{name}": (v["cpu_seconds"] - phases0[name]["cpu_seconds"]) / len(ids)
                    for name, v in phases1.items()
                },
                **{
                    f"single:{name}": spent / max(1, args.single)
                    for name, spent in single_phases.items()
                },
                "single_cpu": single_cpu / max(1, args.single),
                "server_median": statistics.median(stamped),
                "claim_median": statistics.median(claimed) if claimed else 0.0,
                "server_p95": p95(stamped),
                "median": statistics.median(lat),
                "p95": p95(lat),
                "rate": len(ids) / e2e,
                "floor": 1 / floor.engine,
                "floor_package": floor.package,
                "floor_letter": floor.letter,
                "floor_work": 1 / floor.work(),
                "seconds": e2e,
                "server_cpu": cpu1[0] - cpu0[0],
                "workers_cpu": sum(cpu1[1:]) - sum(cpu0[1:]),
                "machine_cpu": machine1 - machine0,
                "letters": float(len(letters_in(args.mail, folder))),
                "commits": commits / len(ids),
            }
        watch.close()
    finally:
        stop(procs + ([smtp] if smtp else []))
        if not args.keep:
            drop(args.pg, store_url)
            shutil.rmtree(folder, ignore_errors=True)  # the run's letters, packages and logs
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50_000, help="People in the demo company.")
    parser.add_argument(
        "--pg",
        default=os.environ.get("OMBUD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="Admin URL of the PostgreSQL server; scratch databases are created there.",
    )
    parser.add_argument("--single", type=int, default=20, help="One-at-a-time requests per type.")
    parser.add_argument("--concurrent", type=int, default=500, help="Requests approved at once.")
    parser.add_argument("--api", type=int, default=1, help="API processes (uvicorn workers).")
    parser.add_argument(
        "--workers", type=int, default=0, help="ombud worker processes (0: embedded mode)."
    )
    parser.add_argument(
        "--modes",
        default="",
        help="Several worker counts in one run, e.g. 0,1,2,4 (0: embedded); ends with a table.",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="Threads per worker.")
    parser.add_argument(
        "--broker",
        default=os.environ.get("OMBUD_BENCH_BROKER", "redis://127.0.0.1:6379/12"),
        help="Broker for --workers (Redis or RabbitMQ URL).",
    )
    parser.add_argument(
        "--wait",
        choices=("api", "store"),
        default="api",
        help="How the client learns that a single request completed: polling the API every "
        "10 ms (as a client would), or watching the store (the server answers no polls).",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=Settings.model_fields["execution_interval_seconds"].default,
        help="Seconds between the embedded runners' looks for work (the server's default); an "
        "approval wakes its own process's runner, and one of more than a batch the others.",
    )
    parser.add_argument(
        "--intake",
        choices=("staff", "public"),
        default="staff",
        help="How requests come in: staff-created with the identity checked (bulk API), or "
        "public ones, each confirmed with the code read from its letter.",
    )
    parser.add_argument(
        "--mail",
        choices=MAIL_WAYS,
        default="outbox",
        help="How letters leave: .eml files (outbox), or SMTP to a local aiosmtpd server, plain "
        "(smtp) or with STARTTLS and a certificate of the run's own (starttls).",
    )
    parser.add_argument("--quick", action="store_true", help="Small and fast (under a minute).")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="Keep the databases and the run folder (letters, packages, logs) afterwards.",
    )
    args = parser.parse_args()
    if args.quick:
        args.people, args.single, args.concurrent = 1500, 3, 20
    try:
        modes = [int(m) for m in args.modes.split(",")] if args.modes else [args.workers]
    except ValueError:
        parser.error(f"--modes: worker counts separated by commas, e.g. 0,1,2,4 (not {args.modes})")
    if any(m < 0 for m in modes):
        parser.error("--modes: worker counts are 0 (embedded) or more")
    for name in ("single", "concurrent", "api"):
        if getattr(args, name) < 1:
            parser.error(f"--{name}: at least 1 (not {getattr(args, name)})")
    if not 1 <= args.concurrency <= MAX_THREADS:
        parser.error(f"--concurrency: threads per worker from 1 to {MAX_THREADS}")
    if args.interval <= 0:
        parser.error(f"--interval: seconds above 0 (not {args.interval})")

    needed = len(modes) * 2 * (args.single + (1 + ENGINE_RUNS) * args.concurrent) + 10
    if needed > args.people:
        parser.error(f"--people must be at least {needed} for these numbers of requests")
    began = time.perf_counter()
    # A throwaway key for this run's store: its audit entries, links and packages.
    os.environ["OMBUD_SECRET_KEY"] = secrets.token_urlsafe(48)
    get_settings.cache_clear()
    bench_url, people, _counts, load_s = build(args.pg, int(args.people * PER_PERSON))
    pool_people = iter(range(1, people + 1))
    print(f"company: {people} people (built in {load_s:.1f} s)")
    speed = machine_speed()
    print(f"machine speed: a fixed workload took {speed:.1f} ms (lower is faster)")
    per_mode: dict[int, dict[str, dict[str, float]]] = {}
    try:
        for workers in modes:
            per_mode[workers] = run_mode(args, workers, bench_url, pool_people)
            report(args, workers, per_mode[workers])
    finally:
        if not args.keep:
            drop(args.pg, bench_url)
    letters = sum(int(r[k]["letters"]) for r in per_mode.values() for k in KINDS[-1:])
    print(f"letters written: {letters}; total time {time.perf_counter() - began:.0f} s")
    if len(modes) > 1:
        print(
            f"\n{'mode':>10} | {'access/s':>9} | {'erasure/s':>9} | erasure CPU/s: server, "
            "workers, machine"
        )
        for workers, r in per_mode.items():
            e = r["erasure"]
            name = f"{workers} workers" if workers else "embedded"
            print(
                f"{name:>10} | {r['access']['rate']:9.1f} | {e['rate']:9.1f} | "
                f"{e['server_cpu'] / e['seconds']:.2f}, {e['workers_cpu'] / e['seconds']:.2f}, "
                f"{e['machine_cpu'] / e['seconds']:.2f}"
            )
    print(f"machine speed at the end: {machine_speed():.1f} ms (at the start: {speed:.1f} ms)")
    results = per_mode[modes[-1]]
    ratios = ", ".join(f"{k} {results[k]['floor'] / results[k]['rate']:.1f}x" for k in KINDS)
    work = ", ".join(f"{k} {results[k]['floor_work'] / results[k]['rate']:.1f}x" for k in KINDS)
    print(f"ratio engine with package and letter / end-to-end: {work}")
    print(f"ratio engine-only / end-to-end completions per second: {ratios}")


if __name__ == "__main__":
    main()
