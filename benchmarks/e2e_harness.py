"""What the end-to-end benchmark drives, reads and prints: processes, the API, the store, CPU."""

from __future__ import annotations

import argparse
import email
import hashlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks.dsr import demo_map
from ombud.datamap import service as datamap_service
from ombud.db import make_engine, unit_of_work
from ombud.migrations import upgrade
from ombud.staff import service as staff_service

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("access", "erasure")
# How the server's letters leave: written as .eml files, or sent over SMTP (plain or STARTTLS)
# to a real aiosmtpd server that keeps them in a Maildir.
MAIL_WAYS = ("outbox", "smtp", "starttls")


def free_port() -> int:
    """A free local TCP port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def make_store(admin: str, bench_url: str) -> tuple[str, str]:
    """A migrated store with the demo map (pointed at ``bench_url``) and a staff token."""
    name = f"ombud_bench_store_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    url = f"{url}/{name}"
    upgrade(url)
    engine = make_engine(url)
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=demo_map(bench_url), files={}, author="bench")
        staff_service.create_user(
            session, email="bench@example.com", password=secrets.token_hex(16), role="admin"
        )
        token = staff_service.create_token(session, email="bench@example.com", name="bench")
    engine.dispose()
    return url, token.secret


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A child process in its own group, its output in ``log``."""
    out = log.open("wb")
    return subprocess.Popen(
        [sys.executable, "-c", "from ombud.cli.main import main; main()", *cmd],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def mail_sink(way: str, folder: Path) -> tuple[dict[str, str], subprocess.Popen[bytes] | None]:
    """The server's mail settings for ``way``, and the SMTP server it sends to (if any)."""
    if way == "outbox":
        return {"OMBUD_MAIL_OUTBOX": str(folder / "mail")}, None
    port = free_port()
    cmd = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}"]
    env = {"OMBUD_SMTP_HOST": "127.0.0.1", "OMBUD_SMTP_PORT": str(port)}
    if way == "starttls":
        cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(key),
                "-out",
                str(cert),
            ],
            check=True,
            capture_output=True,
        )
        cmd += ["--tlscert", str(cert), "--tlskey", str(key)]
        env |= {"OMBUD_SMTP_TLS": "true", "OMBUD_SMTP_CA_FILE": str(cert)}
    cmd += ["-c", "aiosmtpd.handlers.Mailbox", str(folder / "maildir")]
    log = (folder / "smtp.log").open("wb")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while True:  # listening once a connection is taken
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return env, proc
        except OSError as err:
            if proc.poll() is not None or time.monotonic() > deadline:
                msg = f"the SMTP server did not start; see {folder / 'smtp.log'}"
                raise RuntimeError(msg) from err
            time.sleep(0.1)


def letters_in(way: str, folder: Path) -> list[Path]:
    """The letters the server has sent so far, as files: .eml files or Maildir entries."""
    if way == "outbox":
        return list((folder / "mail").glob("*.eml"))
    return [p for sub in ("new", "cur") for p in (folder / "maildir" / sub).glob("*")]


def read_letter(path: Path) -> tuple[EmailMessage, str]:
    """A letter file as sent: the message, and the text of its plain part ("" if none)."""
    msg = email.message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=default)
    body = msg.get_body(("plain",))
    return msg, body.get_content() if isinstance(body, EmailMessage) else ""


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM every child group, then SIGKILL what is left."""
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


# New connections tried before giving up on hearing from every API process.
PHASE_TRIES = 200


class Client:
    """The staff client: bulk intake, bulk approval, polling."""

    def __init__(self, base: str, token: str) -> None:
        self.http = httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300
        )

    def create(self, kind: str, people: list[int]) -> list[str]:
        """Staff-created requests (identity checked) for these demo people."""
        items = [
            {
                "type": kind,
                "email": f"user{n}@example.com",
                "country": "DE",
                "identity_verified": True,
                "verification_note": "benchmark",
            }
            for n in people
        ]
        ids: list[str] = []
        for i in range(0, len(items), 500):
            res = self.http.post("/api/v1/requests/bulk", json={"items": items[i : i + 500]})
            res.raise_for_status()
            body = res.json()
            assert body["refused"] == 0, body
            ids += [item["id"] for item in body["items"]]
        return ids

    def approve(self, ids: list[str]) -> None:
        """Approve them in one call (500 at most per call)."""
        for i in range(0, len(ids), 500):
            res = self.http.post("/api/v1/requests/approve", json={"ids": ids[i : i + 500]})
            res.raise_for_status()
            assert res.json()["refused"] == 0, res.text

    def phases(self, processes: int = 1) -> dict[str, dict[str, float]]:
        """The server's CPU per phase of the request path so far (``/api/v1/metrics``), summed
        over its ``processes`` API processes.

        Each process answers with its own figures: the call is made again on new connections
        (the kernel hands each to one of them) until every process has answered."""
        seen: dict[int, dict[str, dict[str, float]]] = {}
        for _ in range(PHASE_TRIES):
            res = self.http.get("/api/v1/metrics", headers={"Connection": "close"})
            res.raise_for_status()
            body = res.json()
            seen[int(body["process"])] = body["request_path"]
            if len(seen) >= processes:
                break
        else:
            raise RuntimeError(
                f"/api/v1/metrics answered from {len(seen)} of {processes} processes "
                f"in {PHASE_TRIES} calls"
            )
        out: dict[str, dict[str, float]] = {}
        for figures in seen.values():
            for name, v in figures.items():
                total = out.setdefault(name, {"requests": 0, "cpu_seconds": 0.0})
                total["requests"] += v["requests"]
                total["cpu_seconds"] += v["cpu_seconds"]
        return out

    def status(self, rid: str) -> dict[str, Any]:
        """One request as staff see it."""
        res = self.http.get(f"/api/v1/requests/{rid}")
        res.raise_for_status()
        body: dict[str, Any] = res.json()
        return body


def wait_done(client: Client, rid: str, timeout: float = 120) -> dict[str, Any]:
    """Poll until the request is completed (or fails: an error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.status(rid)
        if body["status"] == "completed":
            return body
        if body["status"] == "failed":
            raise RuntimeError(f"request {rid} failed: {body.get('result')}")
        time.sleep(0.01)
    raise TimeoutError(f"request {rid} not completed after {timeout} s")


def wait_done_in_store(conn: psycopg.Connection[Any], rid: str, timeout: float = 120) -> Any:
    """Watch the store (every 2 ms) until the request is completed: the server answers no
    polls meanwhile, so its latency is its own."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT status, result FROM privacy_requests WHERE id = %s", [rid]
        ).fetchone()
        if row and row[0] == "completed":
            return {"status": row[0], "result": row[1] or {}}
        if row and row[0] == "failed":
            raise RuntimeError(f"request {rid} failed: {row[1]}")
        time.sleep(0.002)
    raise TimeoutError(f"request {rid} not completed after {timeout} s")


def completed(conn: psycopg.Connection[Any], ids: list[str]) -> int:
    """How many of ``ids`` are completed (read from the store, not through the API), on an
    open connection: a new one per poll costs the store a process start each time."""
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE status = 'completed'), "
        "count(*) FILTER (WHERE status = 'failed') FROM privacy_requests WHERE id = ANY(%s)",
        [ids],
    ).fetchone()
    if row and row[1]:
        raise RuntimeError(f"{row[1]} requests failed")
    return int(row[0]) if row else 0


def server_latency(store_url: str, ids: list[str]) -> tuple[list[float], list[float]]:
    """Seconds from approval to completion as the store stamped them (no polling in it), and
    of those, from approval to the claim that ran it (its run's ``heartbeat_at``; only for
    runs whose heartbeat the claim set last: access requests, which write no journal)."""
    plain = store_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM q.closed_at - q.decided_at), "
            "extract(epoch FROM r.heartbeat_at - q.decided_at), q.type "
            "FROM privacy_requests q LEFT JOIN execution_runs r ON r.request_id = q.id "
            "WHERE q.id = ANY(%s)",
            [ids],
        ).fetchall()
    claimed = [float(r[1]) for r in rows if r[1] is not None and r[2] == "access"]
    return [float(r[0]) for r in rows], claimed


def mail_settled(conn: psycopg.Connection[Any], timeout: float = 60) -> int:
    """Wait until no letter is waiting to be sent (the sender thread may still be at it), on
    an open connection; how many times it looked (each look is a store transaction)."""
    deadline = time.monotonic() + timeout
    looks = 0
    while time.monotonic() < deadline:
        looks += 1
        row = conn.execute(
            "SELECT count(*) FROM mail_outbox WHERE status IN ('pending', 'sending')"
        ).fetchone()
        if not row or not row[0]:
            return looks
        time.sleep(0.05)
    raise RuntimeError(f"letters still waiting to be sent after {timeout:.0f} s")


def session_cpu(leaders: list[int]) -> list[float]:
    """CPU-seconds used so far by every process in each leader's session (its children too)."""
    tick = os.sysconf("SC_CLK_TCK")
    out = dict.fromkeys(leaders, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        sid = int(fields[3])
        if sid in out:
            out[sid] += (int(fields[11]) + int(fields[12])) / tick
    return [out[p] for p in leaders]


def store_commits(store_url: str) -> int:
    """Transactions committed in the store database so far (PostgreSQL's statistics)."""
    plain = store_url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = plain.rsplit("/", 1)[1]
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()
    return int(row[0]) if row else 0


def machine_cpu() -> float:
    """CPU-seconds the whole machine spent busy since boot (all cores, all users)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def machine_speed() -> float:
    """Milliseconds a fixed pure-Python workload takes now (best of three, lower is faster):
    this kind of virtual machine changes speed by up to 2x within minutes, so a run's figures
    are read against it and runs are compared back to back."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        digest = b""
        for i in range(20_000):
            digest = hashlib.sha256(digest + str(i).encode()).digest()
        json.loads(json.dumps([{"n": i, "text": str(i) * 3} for i in range(5_000)]))
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def drop(admin: str, url: str) -> None:
    """Drop a scratch database."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def len_ids(args: argparse.Namespace) -> int:
    """Requests in each concurrent batch."""
    return int(args.concurrent)


def report(args: argparse.Namespace, workers: int, results: dict[str, dict[str, float]]) -> None:
    """The per-kind lines of one mode."""
    mode = f"{workers} workers x {args.concurrency} threads" if workers else "embedded"
    print(f"mode: {mode}; API processes: {args.api}; intake: {args.intake}; mail: {args.mail}")
    for kind in KINDS:
        r = results[kind]
        print(
            f"{kind:8} one at a time (waiting on the {args.wait}): median "
            f"{r['median'] * 1000:.0f} ms, p95 {r['p95'] * 1000:.0f} ms | "
            f"{args.concurrent} at once: {r['rate']:.1f} "
            f"completions/s | engine-only floor {r['floor']:.1f}/s | CPU per second of the "
            f"batch: server {r['server_cpu'] / r['seconds']:.2f}, workers "
            f"{r['workers_cpu'] / r['seconds']:.2f}, "
            f"machine {r['machine_cpu'] / r['seconds']:.2f} | "
            f"per request: {(r['server_cpu'] + r['workers_cpu']) * 1000 / len_ids(args):.1f} "
            f"CPU-ms, {r['commits']:.1f} store transactions"
        )
        split = ", ".join(
            f"{k.split(':', 1)[1]} {v * 1000:.2f}"
            for k, v in r.items()
            if k.startswith("phase:") and v > 0
        )
        total = sum(v for k, v in r.items() if k.startswith("phase:")) * 1000
        claimed = (
            f" (claimed after {r['claim_median'] * 1000:.1f})" if r.get("claim_median") else ""
        )
        print(
            f"{'':8} approval to completed as the store stamped it: median "
            f"{r['server_median'] * 1000:.1f} ms{claimed}, p95 {r['server_p95'] * 1000:.1f} ms | "
            f"server CPU-ms per request by phase (batch, incl. intake): {split}; sum {total:.2f}"
        )
        alone = ", ".join(
            f"{k.split(':', 1)[1]} {v * 1000:.2f}"
            for k, v in r.items()
            if k.startswith("single:") and v > 0
        )
        print(
            f"{'':8} one at a time, server CPU-ms per request: {r['single_cpu'] * 1000:.1f} from "
            f"the approval call to completed (all its processes); by phase, mail included: {alone}"
        )
        engine = 1000 / r["floor"]
        print(
            f"{'':8} floor, one thread, ms per request: engine {engine:.3f}, package "
            f"{r['floor_package'] * 1000:.3f}, letter {r['floor_letter'] * 1000:.3f}; with "
            f"them {r['floor_work']:.1f}/s, {1000 / r['floor_work'] / engine:.1f}x the engine alone"
        )
