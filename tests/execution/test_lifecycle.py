"""Requests run end to end against a committed store: completion, crash and resume, failure."""

from __future__ import annotations

import hmac
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import make_engine, unit_of_work
from ombud.execution import repository
from ombud.execution.runner import CRASH_ENV
from ombud.execution.service import masking_key
from ombud.execution.tasks import run_requests
from ombud.models.audit import AuditEntry
from ombud.models.requests import PrivacyRequest
from tests.execution import shop
from tests.execution.conftest import Target
from tests.fixtures.api import ANCHORED_PRELUDE, Clock, make_settings
from tests.fixtures.smtp import Mailbox, SmtpServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(
    committed_store_url: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, Engine]]:
    """Settings on a committed store and the test SMTP server, plus the store's engine."""
    settings = make_settings(committed_store_url, tmp_path, smtp_server)
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    engine = make_engine(committed_store_url)
    yield settings, engine
    engine.dispose()


def add_request(
    engine: Engine, kind: str, n: int, *, email: str | None = None, **extra: object
) -> str:
    """An approved request of person ``n`` (at ``email`` when the test gave them another)."""
    address = email or shop.email(n)
    with unit_of_work(engine) as session:
        now = utcnow()
        request = PrivacyRequest(
            type=kind,
            status="approved",
            jurisdiction="gdpr",
            email=address,
            identities={"email": address},
            received_at=now,
            received_on=now.date(),
            **extra,
        )
        session.add(request)
        session.flush()
        return request.id


def status_of(engine: Engine, request_id: str) -> PrivacyRequest:
    """The stored request."""
    with unit_of_work(engine) as session:
        request = session.get(PrivacyRequest, request_id)
        assert request is not None
        return request


def _check_erased(target: Target, before: dict[str, list[dict[str, object]]], key: bytes) -> None:
    after = shop.snapshot(target.engine)
    for n in (1, 2, 4, 5, 6):
        assert shop.rows_of(after, n) == shop.rows_of(before, n)
    mine = shop.rows_of(after, 3)
    (customer,) = mine["shop.customers"]
    # Hashed exactly once: the HMAC of the original address, not of an earlier hash.
    assert customer["email"] == hmac.new(key, shop.email(3).encode(), "sha256").hexdigest()
    assert [t["body"] for t in mine["shop.tickets"]] == ["REDACTED"]
    assert mine["shop.carts"] == [] and mine["shop.cart_items"] == []
    assert mine["shop.invoices"] == shop.rows_of(before, 3)["shop.invoices"]


def test_killed_worker_resumes_without_erasing_twice(
    target: Target,
    store: tuple[Settings, Engine],
    smtp_server: SmtpServer,
) -> None:
    settings, engine = store
    before = shop.snapshot(target.engine)
    rid = add_request(engine, "erasure", 3)
    env = {
        **os.environ,
        "OMBUD_DATABASE_URL": settings.database_url,
        "OMBUD_SECRET_KEY": settings.secret_key.get_secret_value() if settings.secret_key else "",
        "OMBUD_DATA_DIR": str(settings.data_dir),
        "OMBUD_SMTP_HOST": smtp_server.host,
        "OMBUD_SMTP_PORT": str(smtp_server.port),
        shop.URL_VAR: target.url,
    }
    cmd = [
        sys.executable,
        "-c",
        # The child runs on the tests' anchored clock: held 2025 invoices stay held in 2035.
        ANCHORED_PRELUDE + "from ombud.cli.main import main; main()",
        "requests",
        "run",
        "--datamap",
        str(shop.DATAMAP),
    ]
    # The shop is one database: the batch commits there once; the worker dies right after that
    # commit, before the journal says so.
    crashed = subprocess.run(
        cmd, env={**env, CRASH_ENV: "1"}, capture_output=True, text=True, cwd=ROOT
    )
    assert crashed.returncode == 70, crashed.stderr
    assert status_of(engine, rid).status == "in_progress"
    with unit_of_work(engine) as session:
        steps = repository.steps(session, [rid])
        assert steps and all(s.status == "pending" for s in steps)
    assert shop.rows_of(shop.snapshot(target.engine), 3)["shop.carts"] == []
    resumed = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    request = status_of(engine, rid)
    assert request.status == "completed"
    assert request.result is not None and request.result["kept"]
    _check_erased(target, before, masking_key(settings))
    with unit_of_work(engine) as session:
        assert all(s.status == "done" and s.payload == {} for s in repository.steps(session, [rid]))
        run = repository.get_run(session, rid)
        assert run is not None and run.attempts == 2 and run.phase == "completed"
    # Running it again is refused and changes nothing.
    once = shop.snapshot(target.engine)
    again = subprocess.run([*cmd, rid], env=env, capture_output=True, text=True, cwd=ROOT)
    assert "request is completed" in again.stdout
    assert shop.snapshot(target.engine) == once


def test_connection_failure_is_reported_and_request_stays_retriable(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, engine = store
    before = shop.snapshot(target.engine)
    rid = add_request(engine, "erasure", 3)
    monkeypatch.setenv(shop.URL_VAR, "postgresql+psycopg://ombud:topsecret@127.0.0.1:1/shop")
    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map)
    assert report.status == "failed"
    assert "connection 'shop_db'" in report.message and "127.0.0.1:1/shop" in report.message
    assert "topsecret" not in report.message
    assert status_of(engine, rid).status == "failed"
    with unit_of_work(engine) as session:
        run = repository.get_run(session, rid)
        assert run is not None and run.phase == "failed" and "shop_db" in (run.error or "")
        log = " ".join(str(e.data) for e in session.scalars(select(AuditEntry)))
        assert "topsecret" not in log
    assert shop.snapshot(target.engine) == before
    monkeypatch.setenv(shop.URL_VAR, target.url)
    (retry,) = run_requests(engine, [rid], settings=settings, datamap=shop_map)
    assert retry.status == "completed"
    _check_erased(target, before, masking_key(settings))


def test_rectification_keeps_old_values_as_hashes_in_the_audit_log(
    target: Target, store: tuple[Settings, Engine], shop_map: DataMap
) -> None:
    settings, engine = store
    rid = add_request(engine, "rectification", 2, rectification={"user.contact.phone_number": "+1"})
    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map)
    assert report.status == "completed"
    (customer,) = shop.rows_of(shop.snapshot(target.engine), 2)["shop.customers"]
    assert customer["phone"] == "+1" and customer["name"] == "Person 2"
    with unit_of_work(engine) as session:
        entries = [e for e in session.scalars(select(AuditEntry)) if e.subject_id == rid]
        rectified = [e for e in entries if e.action == "execution.rectified"]
        assert len(rectified) == 1
        assert rectified[0].data["fields"] == ["phone"]
        assert list(rectified[0].data["old_value_sha256"]) == ["2:phone"]
        assert "+4930000002" not in str([e.data for e in entries])


def test_result_and_letter_name_what_was_kept_and_what_was_erased_as_its_period_ended(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    settings, engine = store
    with unit_of_work(engine) as session:  # the letter reads the map in force
        datamap_service.apply_map(session, datamap=shop_map, files={}, author="test")
    with target.engine.begin() as conn:  # eleven years before the frozen clock's 2026-03-02
        conn.execute(
            update(shop.invoices).where(shop.invoices.c.id == 30).values(issued_on=date(2015, 3, 1))
        )
    rid = add_request(engine, "erasure", 3)
    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map)
    assert report.status == "completed", report.message
    invoices = {r["id"]: r for r in shop.snapshot(target.engine)["invoices"]}
    assert invoices[30]["billing_name"] is None and invoices[31]["billing_name"] == "Person 3"
    result = status_of(engine, rid).result
    assert result is not None
    summary = result["collections"]["shop.invoices"]
    assert summary["held"] == {"rows": 1, "keys": [31]}
    assert summary["retention_ended"] == {"rows": 1, "keys": [30]}
    letter = " ".join(Mailbox.text(smtp_server.mailbox.to(shop.email(3))[-1]).split())
    assert (
        "- Invoices: 2 records, erased: Billing name, Amount cents; 1 of them kept (see below); "
        "1 older record erased because its retention period had ended"
    ) in letter
    assert "- Cart items: 2 records deleted" in letter
    # Once per rule, with why and until when (the period from today: no row is kept longer).
    assert letter.count("Why: ") == 1
    assert (
        "- Invoices: Invoices (Billing name, Amount cents). "
        "Why: Invoices must be kept for tax purposes (§ 147 AO). "
        "Until: 2 March 2036 at the latest, then we erase it."
    ) in letter
