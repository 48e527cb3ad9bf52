"""Access requests end to end: the stored package, its signed link, logging and expiry."""

from __future__ import annotations

import io
import json
import zipfile

import pyrage
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ombud.app import create_app
from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.execution import package
from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from ombud.execution.tasks import run_requests
from ombud.models.audit import AuditEntry
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.fixtures.api import Clock
from tests.fixtures.smtp import Mailbox, SmtpServer


def test_access_request_delivers_a_signed_expiring_link(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    settings, engine = store
    rid = add_request(engine, "access", 4)
    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map)
    assert report.status == "completed"
    result = status_of(engine, rid).result
    assert result is not None
    assert result["collections"]["shop.orders"]["rows"] == 2
    assert result["unreachable"][0]["collection"] == "shop.legacy_log"
    url = result["download_url"]
    letter = Mailbox.text(smtp_server.mailbox.to(shop.email(4))[-1])
    assert url in letter
    with TestClient(create_app(settings)) as client:
        res = client.get(url.removeprefix("http://testserver"))
        assert res.status_code == 200
        with zipfile.ZipFile(io.BytesIO(res.content)) as zf:
            (customer,) = json.loads(zf.read("data/shop.customers.json"))
        assert customer["email"] == shop.email(4)
        assert client.get(url.removeprefix("http://testserver") + "x").status_code == 404
        frozen_clock.advance(hours=settings.export_ttl_hours + 1)
        assert client.get(url.removeprefix("http://testserver")).status_code == 410
    with unit_of_work(engine) as session:
        uses = [
            e
            for e in session.scalars(select(AuditEntry))
            if e.action == "execution.package_downloaded"
        ]
        assert [e.subject_id for e in uses] == [rid]


def test_package_can_be_encrypted_for_a_passphrase_or_recipient(
    target: Target, shop_map: DataMap, settings: Settings
) -> None:
    plan = build_plan(shop_map)
    spec = RequestSpec("a1", "access", {"email": shop.email(1)})
    with ConnectorPool(shop_map) as pool:
        out = execute_batch(plan, [spec], pool=pool, journal=MemoryJournal(), key=b"k")
    data = package.build_zip(shop_map, plan, request_id="a1", rows=out["a1"].rows)
    locked = package.store(settings, "e1", data, passphrase="correct horse")
    assert locked.path.name == "e1.zip.age" and locked.encrypted
    assert pyrage.passphrase.decrypt(locked.path.read_bytes(), "correct horse") == data
    identity = pyrage.x25519.Identity.generate()
    sealed = package.store(settings, "e2", data, recipient=str(identity.to_public()))
    assert pyrage.decrypt(sealed.path.read_bytes(), [identity]) == data


def test_csv_neutralises_formulas() -> None:
    rows = [
        {"name": '=HYPERLINK("http://evil.example")', "note": "+1", "n": -5},
        {"name": "@SUM(A1)", "note": "-x", "n": 3},
        {"name": "\tTAB", "note": "\rCR", "n": None},
        {"name": "Ada", "note": "a=b", "n": 1.5},
    ]
    text = package.to_csv(rows)
    import csv as csv_module

    got = list(csv_module.DictReader(io.StringIO(text)))
    assert [r["name"] for r in got] == [
        '\'=HYPERLINK("http://evil.example")',
        "'@SUM(A1)",
        "'\tTAB",
        "Ada",
    ]
    assert [r["note"] for r in got] == ["'+1", "'-x", "'\rCR", "a=b"]
    assert [r["n"] for r in got] == ["-5", "3", "", "1.5"]
