"""The consent benchmark's store and servers: a fresh store with a small data map and a staff
token, real uvicorn processes on free ports, their CPU, and a raw keep-alive client."""

from __future__ import annotations

import contextlib
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from pydantic import SecretStr

from benchmarks.e2e_harness import free_port
from ombud import config
from ombud.config import Settings
from ombud.consent.purposes import list_purposes
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.db import make_engine, session_factory
from ombud.migrations import upgrade
from ombud.staff import service as staff_service

SECRET = "bQ7nX2kP9vR4tW8yZ1cF5hJ3mL6dS0gA_-eUoIiPqWtYrEzXcVbN"  # fixed: runs compare
PG_ADMIN = os.environ.get("OMBUD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
DATAMAP = """
organization:
  - fides_key: bench
    name: Bench Ltd
    legal_entities:
      - name: Bench Ltd
        address: {city: Berlin, country: DE}
system:
  - fides_key: app
    name: App
    privacy_declarations:
      - {name: Targeted advertising, data_use: marketing.advertising, legal_basis: consent}
      - {name: Product analytics, data_use: analytics.reporting, legal_basis: consent}
subscription:
  - {fides_key: newsletter, name: Newsletter, notice: Monthly newsletter.}
  - {fides_key: product_alerts, name: Product alerts, notice: Back in stock alerts.}
  - {fides_key: privacy_statement_updates, name: Statement updates, notice: Changes.}
"""


def machine() -> str:
    """One line describing the machine and the database servers."""
    cpu = "?"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(PG_ADMIN) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    pg = row[0] if row else "?"
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, Python {platform.python_version()}"
        f", SQLite {sqlite3.sqlite_version}, PostgreSQL {pg}"
    )


@contextmanager
def store(kind: str, folder: Path) -> Iterator[str]:
    """A fresh migrated store, dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    name = f"ombud_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + "/"
            + name
        )
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str, folder: Path) -> tuple[Settings, str]:
    """Migrate, apply the data map, create a token; return settings and the token secret."""
    settings = Settings(database_url=url, secret_key=SecretStr(SECRET), base_url="http://127.0.0.1")
    config.get_settings = lambda: settings  # type: ignore[assignment]
    upgrade(url)
    dm_file = folder / "datamap.yml"
    dm_file.write_text(DATAMAP, encoding="utf-8")
    engine = make_engine(url)
    with session_factory(engine)() as session:
        datamap_service.apply_map(session, datamap=load_datamap(dm_file), files={}, author="bench")
        list_purposes(session)  # notice rows exist before concurrent writers start
        staff_service.create_user(
            session, email="bench@staff.test", password="benchmark password", role="privacy_officer"
        )
        token = staff_service.create_token(session, email="bench@staff.test", name="bench").secret
        session.commit()
    engine.dispose()
    return settings, token


@dataclass(frozen=True)
class Server:
    """One running uvicorn process: its base URL and process id."""

    base: str
    pid: int


@contextmanager
def servers(url: str, count: int) -> Iterator[list[Server]]:
    """``count`` single-process uvicorn servers, each on its own port; clients spread over
    them (uvicorn's --workers lets one process accept most keep-alive connections)."""
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(server(url)) for _ in range(count)]


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds the processes ``pids`` have used so far (Linux /proc);
    processes gone meanwhile count nothing (a pool closing an overflow connection)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as f:
                # The command name may hold spaces: fields are counted after its closing ")".
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


@contextmanager
def server(url: str) -> Iterator[Server]:
    """A uvicorn server for ``url`` on a free port."""
    port = free_port()
    env = {**os.environ, "OMBUD_DATABASE_URL": url, "OMBUD_SECRET_KEY": SECRET}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "ombud.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
            "--no-proxy-headers",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        yield Server(base, proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


class RawClient:
    """A minimal keep-alive HTTP/1.1 client, so the client spends little of the 2 cores."""

    def __init__(self, base: str) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host = f"{host}:{port}"
        self.sock = socket.create_connection((host, int(port)))
        self.buf = b""

    def post(self, path: str, token: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.sock.sendall(head.encode() + body)
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        header, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = int(header.split(b" ", 2)[1])
        length = next(
            int(line.split(b":", 1)[1])
            for line in header.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        while len(self.buf) < length:
            self.buf += self.sock.recv(65536)
        data, self.buf = self.buf[:length], self.buf[length:]
        return status, data

    def close(self) -> None:
        self.sock.close()
