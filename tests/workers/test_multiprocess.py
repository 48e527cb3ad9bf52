"""Two real ``ombud serve`` processes behind one address (a round-robin proxy that alternates
them per connection), on PostgreSQL with Redis: whichever process answers, the staff console
session, the rate limits, the data map, consent decisions, a request's lifecycle and the
periodic jobs behave as with one process."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.db import make_engine, unit_of_work
from ombud.demo.setup import init_demo
from ombud.models.retention import RetentionRun
from ombud.models.workers import PeriodicJob
from ombud.staff import service as staff_service
from tests.console.conftest import csrf_of
from tests.dsr.conftest import code_from
from tests.fixtures.api import EPOCH, TEST_SECRET_KEY, auth, make_settings
from tests.fixtures.browser import free_port
from tests.fixtures.smtp import Mailbox, SmtpServer
from tests.workers.conftest import REDIS_BROKER, _reach_redis
from tests.workers.helpers import ROOT, wait_until
from tests.workers.proxy import RoundRobinProxy

pytestmark = [pytest.mark.slow, pytest.mark.services]

ADMIN = "dpo@postlicht.example"
PASSWORD = "long enough secret"
HELP_DESK = "support-lead@postlicht.example"
MAILING = "mail-admin@postlicht.example"
# The servers' clocks start 45 s before a minute: the every-minute retention slot comes soon.
START = EPOCH + timedelta(seconds=45)
PRELUDE = (
    "import time; from datetime import datetime, timedelta; from ombud import clock; "
    f"_t0 = time.monotonic(); _start = datetime.fromisoformat({START.isoformat()!r}); "
    "clock.set_clock(lambda: _start + timedelta(seconds=time.monotonic() - _t0)); "
)


@dataclass
class Cluster:
    """The proxy in front of two servers, the store, the demo's map folder and a staff token."""

    proxy: RoundRobinProxy
    engine: Engine
    env: dict[str, str]
    datamap: Path
    token: str
    pids: list[int]


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", PRELUDE + "from ombud.cli.main import main; main()"]
    cmd += ["serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(
            cmd, env=env, cwd=ROOT, start_new_session=True, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _up(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture
def cluster(
    store_kind: str,
    committed_store_url: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Cluster]:
    """The demo company's map in a fresh PostgreSQL store, two servers sharing it and Redis."""
    if store_kind != "postgresql":
        pytest.skip("several server processes are run on PostgreSQL (see deployment.md)")
    _reach_redis(REDIS_BROKER)
    settings = make_settings(committed_store_url, tmp_path, smtp_server)
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    demo = init_demo(tmp_path / "demo", people=40, seed=7)
    engine = make_engine(committed_store_url)
    with unit_of_work(engine) as session:
        datamap_service.apply(session, path=demo.directory / "datamap", author="test")
        staff_service.create_user(session, email=ADMIN, password=PASSWORD, role="admin")
        token = staff_service.create_token(session, email=ADMIN, name="t").secret
    prefix = f"ombud-test-{uuid.uuid4().hex[:10]}:"
    ports = [free_port(), free_port()]
    proxy = RoundRobinProxy([("127.0.0.1", p) for p in ports]).__enter__()
    env = {
        **os.environ,
        "OMBUD_DATABASE_URL": committed_store_url,
        "OMBUD_SECRET_KEY": TEST_SECRET_KEY,
        "OMBUD_DATA_DIR": str(tmp_path / "data"),  # shared, as a volume of both would be
        "OMBUD_SMTP_HOST": smtp_server.host,
        "OMBUD_SMTP_PORT": str(smtp_server.port),
        "OMBUD_MAIL_SENDER": "privacy@postlicht.example",
        "OMBUD_BASE_URL": proxy.url,
        "OMBUD_REDIS_URL": REDIS_BROKER,
        "OMBUD_REDIS_PREFIX": prefix,
        "OMBUD_EXECUTE_IN_SERVER": "true",
        "OMBUD_EXECUTION_INTERVAL_SECONDS": "0.5",
        "OMBUD_HOUSEKEEPING_INTERVAL_SECONDS": "1",
        "OMBUD_RETENTION_SCHEDULE": "* * * * *",
    }
    env.pop("OMBUD_BROKER_URL", None)
    procs = [_serve(env, port, tmp_path / f"serve{i}.log") for i, port in enumerate(ports)]
    try:
        started = wait_until(lambda: all(_up(p) for p in ports), timeout=60, every=0.2)
        logs = [(tmp_path / f"serve{i}.log").read_text() for i in range(2)]
        assert started, f"the servers did not start: {logs}"
        yield Cluster(proxy, engine, env, demo.directory / "datamap", token, [p.pid for p in procs])
    finally:
        for proc in procs:
            _stop(proc)
        proxy.__exit__()
        _forget_redis(prefix)
        engine.dispose()


def _forget_redis(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(REDIS_BROKER)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


def _client(c: Cluster) -> httpx.Client:
    # No keep-alive: every request opens a connection, so the proxy alternates the servers.
    return httpx.Client(
        base_url=c.proxy.url, limits=httpx.Limits(max_keepalive_connections=0), timeout=30
    )


def _both(c: Cluster, answered: list[int]) -> None:
    assert set(answered) == {0, 1}, f"one server answered everything: {answered}"


def test_console_session_signed_in_through_one_works_on_the_other(cluster: Cluster) -> None:
    c, served = cluster, []
    with _client(c) as web:
        form = web.get("/staff/login")
        served.append(c.proxy.log[-1])
        data = {"email": ADMIN, "password": PASSWORD, "csrf_token": csrf_of(form.text)}
        res = web.post("/staff/login", data=data, follow_redirects=False)
        served.append(c.proxy.log[-1])
        assert res.status_code == 303, res.text
        for _ in range(4):  # the session (in the store) is known to both servers
            page = web.get("/staff", follow_redirects=False)
            served.append(c.proxy.log[-1])
            assert page.status_code == 200 and ADMIN in page.text, page.headers
        # A form posted to the other server than the one that drew it passes the CSRF check.
        csrf = csrf_of(page.text)
        res = web.post("/staff/logout", data={"csrf_token": csrf}, follow_redirects=False)
        served.append(c.proxy.log[-1])
        assert res.status_code == 303, res.text
        for _ in range(2):  # signed out on both
            page = web.get("/staff", follow_redirects=False)
            served.append(c.proxy.log[-1])
            assert page.status_code == 303 and "/staff/login" in page.headers["location"]
    _both(c, served)


def test_rate_limits_are_shared_by_both_servers(cluster: Cluster, smtp_server: SmtpServer) -> None:
    c = cluster
    limit = Settings.model_fields["rate_limit_per_identity"].default  # codes per address per hour
    email = "limited@example.test"
    served: list[int] = []
    with _client(c) as web:
        res = web.post("/api/v1/requests", json={"type": "access", "email": email, "country": "DE"})
        served.append(c.proxy.log[-1])
        assert res.status_code == 201, res.text
        rid = res.json()["id"]
        for n in range(2, limit + 1):  # code requests 2..limit: allowed wherever they land
            res = web.post(f"/api/v1/requests/{rid}/resend")
            served.append(c.proxy.log[-1])
            assert res.status_code == 202, f"code request {n}: {res.text}"
        # The next one is refused, although neither server saw more than half of the others.
        res = web.post(f"/api/v1/requests/{rid}/resend")
        served.append(c.proxy.log[-1])
        assert res.status_code == 429, res.text
        assert f"at most {limit} per hour" in res.json()["error"]
        assert "retry-after" in res.headers
        res = web.post(f"/api/v1/requests/{rid}/resend")
        served.append(c.proxy.log[-1])
        assert res.status_code == 429, res.text
    _both(c, served[-2:])
    assert len(smtp_server.mailbox.to(email)) == limit  # no code mailed past the limit


def _purposes(web: httpx.Client, c: Cluster) -> set[str]:
    res = web.get("/api/v1/consent/purposes", headers=auth(c.token))
    assert res.status_code == 200, res.text
    return {p["key"] for p in res.json()["items"]}


def _state(web: httpx.Client, c: Cluster, email: str) -> dict[str, str]:
    res = web.post("/api/v1/consent/subjects/state", json={"email": email}, headers=auth(c.token))
    assert res.status_code == 200, res.text
    return {s["purpose"]: s["decision"] for s in res.json()["items"]}


def _decide(web: httpx.Client, c: Cluster, email: str, purpose: str, decision: str) -> int:
    body = {"email": email, "purpose": purpose, "decision": decision}
    res = web.post("/api/v1/consent/decisions", json=body, headers=auth(c.token))
    assert res.status_code == 201, res.text
    return c.proxy.log[-1]


def test_consent_and_a_new_data_map_are_seen_by_both(cluster: Cluster, tmp_path: Path) -> None:
    c, email = cluster, "reader@example.com"
    with _client(c) as web:
        # Both servers read (and cache) map version 1.
        for _ in range(2):
            assert "offers" not in _purposes(web, c)
        wrote = _decide(web, c, email, "newsletter", "granted")
        for _ in range(2):  # the other server, then the same one
            assert _state(web, c, email) == {"newsletter": "granted"}
        withdrew = _decide(web, c, email, "newsletter", "withdrawn")
        for _ in range(2):
            assert _state(web, c, email) == {"newsletter": "withdrawn"}

        # Version 2 adds a purpose; it is applied by another process (the CLI).
        v2 = tmp_path / "datamap-v2"
        shutil.copytree(c.datamap, v2)
        subs = v2 / "subscriptions.yaml"
        subs.write_text(
            subs.read_text()
            + "  - fides_key: offers\n    name: Offers\n"
            + "    notice: Yes, email me offers from Postlicht.\n"
            + "    data_use: marketing.communications.email\n    double_opt_in: false\n"
        )
        cmd = [sys.executable, "-c", "from ombud.cli.main import main; main()"]
        cmd += ["datamap", "apply", str(v2)]
        done = subprocess.run(cmd, env=c.env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "applied data map version 2" in done.stdout
        # Each server sees it on its next request, without a restart.
        seen = []
        for _ in range(2):
            assert "offers" in _purposes(web, c)
            seen.append(c.proxy.log[-1])
        _both(c, seen)
        granted = [_decide(web, c, email, "offers", "granted") for _ in range(2)]
        _both(c, granted)
        assert _state(web, c, email) == {"newsletter": "withdrawn", "offers": "granted"}
    assert wrote != withdrew  # a decision written through one server, the next through the other
    with unit_of_work(c.engine) as session:
        assert datamap_service.get_current_version(session).number == 2


TASK_RE = re.compile(r"http://127\.0\.0\.1:\d+(/tasks/[A-Za-z0-9._-]+)")


def _task_link(mailbox: Mailbox, owner: str) -> str:
    found = TASK_RE.search(Mailbox.text(mailbox.to(owner)[-1]))
    assert found is not None, f"no task link mailed to {owner}"
    return found.group(1)


def test_a_request_lives_across_both_servers(cluster: Cluster, smtp_server: SmtpServer) -> None:
    c, mailbox = cluster, smtp_server.mailbox
    email = "ana.lifecycle@example.test"
    served: list[int] = []
    with _client(c) as web:
        res = web.post("/api/v1/requests", json={"type": "access", "email": email, "country": "DE"})
        served.append(c.proxy.log[-1])
        assert res.status_code == 201, res.text
        rid = res.json()["id"]
        assert wait_until(lambda: bool(mailbox.to(email)), timeout=20)
        res = web.post(f"/api/v1/requests/{rid}/verify", json={"code": code_from(mailbox, email)})
        served.append(c.proxy.log[-1])
        assert res.status_code == 200, res.text
        res = web.post(f"/api/v1/requests/{rid}/approve", headers=auth(c.token), json={})
        served.append(c.proxy.log[-1])
        assert res.status_code == 200, res.text
        # One of the servers' runners claims it; the systems without a connector wait for
        # their owners, whose links may land on either server.
        assert wait_until(lambda: bool(mailbox.to(HELP_DESK)) and bool(mailbox.to(MAILING)))
        for owner in (HELP_DESK, MAILING):
            res = web.post(_task_link(mailbox, owner), data={"outcome": "nothing_found"})
            served.append(c.proxy.log[-1])
            assert res.status_code == 200, res.text

        def status() -> str:
            got = web.get(f"/api/v1/requests/{rid}", headers=auth(c.token))
            served.append(c.proxy.log[-1])
            return str(got.json()["status"])

        assert wait_until(lambda: status() == "completed", timeout=60, every=0.3), status()
    _both(c, served)
    # Exactly one completion letter (two runners, two outbox drainers).
    time.sleep(2)
    subjects = [str(m["Subject"]) for m in mailbox.to(email)]
    assert sum("is complete" in s for s in subjects) == 1, subjects


def test_the_scheduler_runs_a_slot_once_across_both(cluster: Cluster) -> None:
    c = cluster
    holders: set[str] = set()

    def retention_done() -> bool:
        with unit_of_work(c.engine) as session:
            jobs = {j.name: j for j in session.scalars(select(PeriodicJob))}
        if "housekeeping" in jobs and jobs["housekeeping"].holder:
            holders.add(jobs["housekeeping"].holder.rsplit(":", 1)[1])
        job = jobs.get("retention")
        return job is not None and job.finished_at is not None and job.holder is not None

    # The servers' clocks reach the next minute about 15 s after they started.
    assert wait_until(retention_done, timeout=90, every=0.2)
    # Both schedulers take housekeeping slots (every second) while the retention slot ran once.
    wait_until(lambda: retention_done() and len(holders) == 2, timeout=15, every=0.2)
    assert holders == {str(p) for p in c.pids}
    with unit_of_work(c.engine) as session:
        runs = dict(
            session.execute(
                select(RetentionRun.rule, func.count()).group_by(RetentionRun.rule)
            ).all()
        )
        job = session.get(PeriodicJob, "retention")
        assert job is not None and job.last_slot is not None
        assert job.last_slot.replace(second=0, microsecond=0) == job.last_slot
    assert runs, "the retention job left no run"
    assert set(runs.values()) == {1}, runs
