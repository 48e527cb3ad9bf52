"""The demo company on a committed store, for tests that run requests against its database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, text

from ombud.app import create_app
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.db import make_engine, unit_of_work
from ombud.demo.setup import init_demo
from ombud.manual import links
from ombud.manual import repository as manual_repository
from ombud.models.requests import PrivacyRequest
from ombud.staff import service as staff_service
from tests.dsr.conftest import code_from
from tests.fixtures.api import auth, make_settings
from tests.fixtures.smtp import SmtpServer

ATTACKER = "attacker@evil.example"
# A PDF is recognised by its first bytes; this one stands for a signed permission.
PERMISSION_PDF = b"%PDF-1.4\n% signed permission of the person\n%%EOF\n"


@dataclass(frozen=True)
class Victim:
    """A demo customer with a phone, an account and invoices."""

    account_id: int
    email: str
    phone: str


@dataclass
class DemoSystem:
    """Settings, Ombud's store, the demo application database, a client and an officer."""

    settings: Settings
    store: Engine
    app_db: Engine
    client: TestClient
    officer: dict[str, str]
    smtp: SmtpServer

    def victim(self) -> Victim:
        """The first account that has a phone and invoices."""
        with self.app_db.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT a.id, a.email, a.phone FROM accounts a WHERE a.phone IS NOT NULL "
                    "AND EXISTS (SELECT 1 FROM invoices i WHERE i.account_id = a.id) "
                    "ORDER BY a.id LIMIT 1"
                )
            ).one()
        return Victim(int(row[0]), str(row[1]), str(row[2]))

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table of the demo database."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        with self.app_db.connect() as conn:
            for table in sorted(inspect(self.app_db).get_table_names()):
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                out[table] = sorted((tuple(r) for r in rows), key=repr)
        return out

    def verify(self, rid: str, email: str) -> None:
        """Confirm a request with the newest code mailed to ``email``."""
        code = code_from(self.smtp.mailbox, email)
        res = self.client.post(f"/api/v1/requests/{rid}/verify", json={"code": code})
        assert res.status_code == 200, res.text
        self.answer_tasks(rid)

    def approve(self, rid: str) -> None:
        """Approve as the officer; the owners of the demo's manual systems (help desk, mailing
        service) then report at once, through their task pages, that they found nothing."""
        res = self.client.post(f"/api/v1/requests/{rid}/approve", headers=self.officer, json={})
        # Rights carried out at approval (restriction) are in progress, waiting for the owners.
        assert res.status_code == 200, res.text
        assert res.json()["status"] in ("approved", "in_progress"), res.text
        self.answer_tasks(rid)

    def answer_tasks(self, rid: str) -> None:
        """The owners of the demo's manual systems report, through their task pages, that they
        found nothing (requests carried out at once open their tasks without an approval)."""
        with unit_of_work(self.store) as session:
            tokens = [
                links.token(self.settings, t.id, t.link_version)
                for t in manual_repository.for_request(session, rid)
                if t.status == "open"
            ]
        for token in tokens:
            done = self.client.post(f"/tasks/{token}", data={"outcome": "nothing_found"})
            assert done.status_code == 200, done.text

    def request(self, rid: str) -> PrivacyRequest:
        """The stored request, as committed."""
        with unit_of_work(self.store) as session:
            row = session.get(PrivacyRequest, rid)
            assert row is not None
            session.expunge(row)
            return row

    def opendsr(self, kind: str, identities: list[dict[str, str]]) -> str:
        """Forward a request over OpenDSR; return Ombud's id."""
        body = {
            "subject_request_id": str(uuid.uuid4()),
            "subject_request_type": kind,
            "submitted_time": "2026-03-01T10:00:00Z",
            "subject_identities": [{**i, "identity_format": "raw"} for i in identities],
            "regulation": "gdpr",
        }
        res = self.client.post("/opendsr/requests", json=body, headers=self.officer)
        assert res.status_code == 201, res.text
        rid: str = res.json()["extensions"]["ombud"]["id"]
        return rid


@pytest.fixture
def demo_system(
    committed_store_url: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[DemoSystem]:
    """The demo written to a folder, its data map applied to a fresh store, the app running."""
    demo = init_demo(tmp_path / "demo", people=40, seed=11)
    settings = make_settings(
        committed_store_url, tmp_path, smtp_server, mail_sender="privacy@postlicht.example"
    )
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    store = make_engine(committed_store_url)
    with unit_of_work(store) as session:
        datamap_service.apply(session, path=demo.directory / "datamap", author="test")
        staff_service.create_user(
            session, email="dpo@postlicht.example", password="long enough secret", role="admin"
        )
        token = staff_service.create_token(session, email="dpo@postlicht.example", name="t").secret
    app_db = create_engine(f"sqlite:///{demo.app_db}")
    with TestClient(create_app(settings)) as client:
        yield DemoSystem(settings, store, app_db, client, auth(token), smtp_server)
    app_db.dispose()
    store.dispose()
