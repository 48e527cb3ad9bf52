"""Worker processes and a shop with people to erase, for the worker tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from ombud.config import Settings
from ombud.datamap.loader import parse_files, read_files
from ombud.db import unit_of_work
from ombud.execution.tasks import worker_name
from ombud.models.datamap import DataMapVersion
from ombud.models.execution import ExecutionRun
from tests.execution import shop
from tests.fixtures.api import ANCHORED_PRELUDE
from tests.workers.conftest import Broker

ROOT = Path(__file__).resolve().parents[2]


def prepare_shop(engine: Engine, target: Engine, people: int) -> None:
    """The shop with ``people`` people in the target, its map (without the deliberately
    unreachable collection) in force in the store."""
    shop.populate(target, people=people)
    datamap = parse_files(read_files(shop.DATAMAP))
    for dataset in datamap.dataset:
        dataset.collections = [c for c in dataset.collections if c.name != "legacy_log"]
    with unit_of_work(engine) as session:
        session.add(
            DataMapVersion(
                number=1,
                content_hash="shop",
                author="test",
                document=datamap.model_dump(mode="json"),
                files={},
            )
        )


def add_request(engine: Engine, kind: str, n: int) -> str:
    """An approved request of shop person ``n``."""
    from ombud.clock import utcnow
    from ombud.models.requests import PrivacyRequest

    with unit_of_work(engine) as session:
        now = utcnow()
        request = PrivacyRequest(
            type=kind,
            status="approved",
            jurisdiction="gdpr",
            email=shop.email(n),
            identities={"email": shop.email(n)},
            received_at=now,
            received_on=now.date(),
        )
        session.add(request)
        session.flush()
        return request.id


def worker_env(settings: Settings, broker: Broker, shop_url: str, **extra: str) -> dict[str, str]:
    """The environment of an ``ombud worker`` on the test store, SMTP server and broker."""
    assert settings.secret_key is not None
    return {
        **os.environ,
        "OMBUD_DATABASE_URL": settings.database_url,
        "OMBUD_SECRET_KEY": settings.secret_key.get_secret_value(),
        "OMBUD_DATA_DIR": str(settings.data_dir),
        "OMBUD_SMTP_HOST": settings.smtp_host,
        "OMBUD_SMTP_PORT": str(settings.smtp_port),
        "OMBUD_MAIL_SENDER": settings.mail_sender,
        "OMBUD_BASE_URL": settings.base_url,
        "OMBUD_RETENTION_SCHEDULE": "",
        "OMBUD_HOUSEKEEPING_INTERVAL_SECONDS": "0",
        "OMBUD_EXECUTION_INTERVAL_SECONDS": "0.5",
        shop.URL_VAR: shop_url,
        **broker.env(),
        **extra,
    }


def start_worker(env: dict[str, str], *, concurrency: int = 1) -> subprocess.Popen[bytes]:
    """``ombud worker`` in a process group of its own (on the tests' anchored clock)."""
    cmd = [
        sys.executable,
        "-c",
        ANCHORED_PRELUDE + "from ombud.cli.main import main; main()",
        "worker",
        f"--concurrency={concurrency}",
        "--loglevel=warning",
    ]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> str:
    """Signal the worker's process group, wait, and return what it wrote on stderr."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    return err.decode(errors="replace")


def wait_until(check: Callable[[], bool], timeout: float = 30.0, every: float = 0.05) -> bool:
    """Poll ``check`` until true or ``timeout`` seconds passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


def dead_worker() -> str:
    """A worker name on this host whose process does not exist."""
    host = worker_name().split(":")[0]
    return f"{host}:999999999:1"


def crash_run(engine: Engine, request_id: str, *, attempts: int, worker: str) -> None:
    """Leave a request as a worker that died while running it would."""
    from ombud.clock import utcnow
    from ombud.models.requests import PrivacyRequest

    with unit_of_work(engine) as session:
        request = session.get(PrivacyRequest, request_id)
        assert request is not None
        request.status = "in_progress"
        session.add(
            ExecutionRun(
                request_id=request_id,
                phase="collecting",
                attempts=attempts,
                worker=worker,
                heartbeat_at=utcnow(),
            )
        )
