"""Access requests end to end: the stored package, its one-time link, the staff download,
logging and deletion."""

from __future__ import annotations

import io
import json
import re
import zipfile

import pyrage
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ombud.app import create_app
from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.execution import downloads, package, tasks
from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from ombud.execution.tasks import claim, run_requests
from ombud.models.audit import AuditEntry
from ombud.staff import service as staff_service
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.fixtures.api import Clock, auth
from tests.fixtures.smtp import Mailbox, SmtpServer

LINK_RE = re.compile(r"http://testserver(/privacy/exports/\S+)")


def _link(smtp_server: SmtpServer, n: int) -> str:
    (path,) = LINK_RE.findall(Mailbox.text(smtp_server.mailbox.to(shop.email(n))[-1]))
    return str(path)


def _actions(engine: Engine, action: str) -> list[AuditEntry]:
    with unit_of_work(engine) as session:
        return [e for e in session.scalars(select(AuditEntry)) if e.action == action]


def test_access_request_delivers_a_one_time_expiring_link(
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
    assert "download_url" not in result  # the link is in the letter only
    link = _link(smtp_server, 4)
    with TestClient(create_app(settings)) as client:
        res = client.get(link)
        assert res.status_code == 200
        assert res.headers["cache-control"] == "no-store"
        with zipfile.ZipFile(io.BytesIO(res.content)) as zf:
            (customer,) = json.loads(zf.read("data/shop.customers.json"))
        assert customer["email"] == shop.email(4)
        assert client.get(link + "x").status_code == 404
        # Once per person: the second use offers a new link instead.
        again = client.get(link)
        assert again.status_code == 410 and f"{link}/renew" in again.text
        assert client.post(f"{link}/renew").status_code == 200
        new_link = _link(smtp_server, 4)
        assert new_link != link
        assert client.get(link).status_code == 410  # replaced
        assert client.get(new_link).status_code == 200
        frozen_clock.advance(hours=settings.export_ttl_hours + 1)
        assert client.post(f"{new_link}/renew").status_code == 410
    assert [e.subject_id for e in _actions(engine, "execution.package_downloaded")] == [rid, rid]
    assert len(_actions(engine, "execution.package_link_renewed")) == 1


def test_staff_download_their_own_way_only(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    settings, engine = store
    with unit_of_work(engine) as session:
        for role in ("privacy_officer", "viewer"):
            staff_service.create_user(
                session, email=f"{role}@staff.test", password="correct horse battery", role=role
            )
        officer = staff_service.create_token(session, email="privacy_officer@staff.test", name="t")
        viewer = staff_service.create_token(session, email="viewer@staff.test", name="t")
    rid = add_request(engine, "access", 4)
    run_requests(engine, [rid], settings=settings, datamap=shop_map)
    link = _link(smtp_server, 4)
    with TestClient(create_app(settings)) as client:
        shown = client.get(f"/api/v1/requests/{rid}", headers=auth(officer.secret)).json()
        assert "/privacy/exports/" not in json.dumps(shown)  # not in result, not in letters
        # A staff token on the person's link is refused (and does not spend it).
        assert client.get(link, headers=auth(officer.secret)).status_code == 403
        staff_url = f"/api/v1/requests/{rid}/package"
        assert client.get(staff_url, headers=auth(viewer.secret)).status_code == 403
        res = client.get(staff_url, headers=auth(officer.secret))
        assert res.status_code == 200 and res.headers["cache-control"] == "no-store"
        assert zipfile.ZipFile(io.BytesIO(res.content)).namelist()
        assert client.get(link).status_code == 200  # the person's link still unused
    (staff_use,) = _actions(engine, "execution.package_downloaded_by_staff")
    assert staff_use.actor == "privacy_officer@staff.test" and staff_use.subject_id == rid


def test_packages_are_deleted_when_their_link_expires(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    settings, engine = store
    rid = add_request(engine, "access", 4)
    run_requests(engine, [rid], settings=settings, datamap=shop_map)
    folder = settings.data_dir / "exports"
    stray = folder / f"{downloads.new_export_id(rid)}.zip"  # e.g. from an earlier crashed run
    stray.write_bytes(b"PK")
    with unit_of_work(engine) as session:
        assert downloads.purge_expired(session, settings) == 1  # the stray one only
    (kept,) = folder.iterdir()
    assert "-access-" in kept.name  # <export id>.<org>-access-<date>.zip: found by its id
    frozen_clock.advance(hours=settings.export_ttl_hours + 1)
    with unit_of_work(engine) as session:
        assert downloads.purge_expired(session, settings) == 1
    assert not kept.exists()
    result = status_of(engine, rid).result or {}
    assert result["package_deleted_at"]
    assert len(_actions(engine, "execution.package_deleted")) == 1


def test_a_crashed_runs_package_is_deleted_on_resume(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    settings, engine = store
    rid = add_request(engine, "access", 4)
    # A run claimed the request, wrote its package and died before recording it.
    claim(engine, [rid], actor="system:test")
    orphan = package.store(settings, downloads.new_export_id(rid), b"PK from the dead run")
    frozen_clock.advance(seconds=tasks.STALE_AFTER.total_seconds() + 1)
    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map)
    assert report.status == "completed"
    assert not orphan.path.exists()
    (only,) = (settings.data_dir / "exports").iterdir()
    assert only.name.startswith((status_of(engine, rid).result or {})["export_id"])


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
