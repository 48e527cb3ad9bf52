"""The whole system on the demo company: a person asks, confirms by email, staff approve,
Ombud exports and then erases the person's rows in the demo database."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from ombud.app import create_app
from ombud.config import Settings
from ombud.consent import service as consent_service
from ombud.datamap import service as datamap_service
from ombud.db import make_engine, unit_of_work
from ombud.demo.setup import init_demo
from ombud.execution.tasks import run_requests
from ombud.staff import service as staff_service
from tests.dsr.conftest import code_from
from tests.fixtures.api import auth, make_settings
from tests.fixtures.smtp import Mailbox, SmtpServer

LINK_RE = re.compile(r"(http://testserver/privacy/exports/\S+)")


@pytest.fixture
def system(
    committed_store_url: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, Engine, Engine, str]]:
    """The demo written to a folder, its data map applied to a fresh store, an officer token."""
    demo = init_demo(tmp_path / "demo", people=60, seed=7)
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
    yield settings, store, app_db, token
    app_db.dispose()
    store.dispose()


HELP_DESK = "support-lead@postlicht.example"
MAILING = "mail-admin@postlicht.example"
TASK_RE = re.compile(r"http://testserver(/tasks/[A-Za-z0-9._-]+)")


def _task_link(mailbox: Mailbox, owner: str) -> str:
    """The task page in the owner's latest mail."""
    found = TASK_RE.search(Mailbox.text(mailbox.to(owner)[-1]))
    assert found is not None
    return found.group(1)


def _ask(client: TestClient, mailbox: Mailbox, kind: str, email: str, token: str) -> str:
    res = client.post("/api/v1/requests", json={"type": kind, "email": email, "country": "DE"})
    assert res.status_code == 201, res.text
    rid: str = res.json()["id"]
    code = code_from(mailbox, email)
    res = client.post(f"/api/v1/requests/{rid}/verify", json={"code": code})
    assert res.status_code == 200, res.text
    res = client.post(f"/api/v1/requests/{rid}/approve", headers=auth(token), json={})
    assert res.status_code == 200 and res.json()["status"] == "approved", res.text
    return rid


def test_access_then_erasure_on_the_demo_company(
    system: tuple[Settings, Engine, Engine, str], smtp_server: SmtpServer
) -> None:
    settings, store, app_db, token = system
    with app_db.connect() as conn:
        account_id, email = conn.execute(
            text(
                "SELECT a.id, a.email FROM accounts a WHERE EXISTS "
                "(SELECT 1 FROM invoices i WHERE i.account_id = a.id) ORDER BY a.id LIMIT 1"
            )
        ).one()
        mailboxes = (
            conn.execute(
                text("SELECT address FROM mailboxes WHERE account_id = :a ORDER BY id"),
                {"a": account_id},
            )
            .scalars()
            .all()
        )
        invoices_before = conn.execute(
            text("SELECT * FROM invoices WHERE account_id = :a ORDER BY id"), {"a": account_id}
        ).all()
    with unit_of_work(store) as session:  # the person once subscribed to the newsletter
        consent_service.record_decision(
            session,
            email=email,
            purpose="newsletter",
            decision="granted",
            method="web_form",
            settings=settings,
        )
    with TestClient(create_app(settings)) as client:
        # Access: the package holds exactly this person's account and mailboxes.
        rid = _ask(client, smtp_server.mailbox, "access", email, token)
        (report,) = run_requests(store, [rid], settings=settings)
        # The help desk and the mailing service have no connector: their owners answer first.
        assert report.status == "waiting", report
        tickets = b"ticket,subject\n1,Cannot log in\n"
        res = client.post(
            _task_link(smtp_server.mailbox, HELP_DESK),
            data={"outcome": "done"},
            files={"file": ("tickets.csv", tickets, "text/csv")},
        )
        assert res.status_code == 200, res.text
        res = client.post(
            _task_link(smtp_server.mailbox, MAILING), data={"outcome": "nothing_found"}
        )
        assert res.status_code == 200, res.text
        (report,) = run_requests(store, [rid], settings=settings)
        assert report.status == "completed", report
        assert client.get(f"/api/v1/requests/{rid}", headers=auth(token)).json()["status"] == (
            "completed"
        )
        letter = Mailbox.text(smtp_server.mailbox.to(email)[-1])
        link = LINK_RE.search(letter)
        assert link is not None, letter
        res = client.get(link.group(1).replace("http://testserver", ""))
        assert res.status_code == 200
        today = client.get(f"/api/v1/requests/{rid}", headers=auth(token)).json()["closed_at"]
        name = f"postlicht-mail-gmbh-access-{today[:10]}.zip"
        assert f'filename="{name}"' in res.headers["content-disposition"]
        with zipfile.ZipFile(io.BytesIO(res.content)) as zf:
            names = zf.namelist()
            accounts = json.loads(zf.read(next(n for n in names if n.endswith("accounts.json"))))
            boxes = json.loads(zf.read(next(n for n in names if n.endswith("mailboxes.json"))))
            invoices = json.loads(zf.read(next(n for n in names if n.endswith("invoices.json"))))
            history = json.loads(zf.read("consent/history.json"))
            readme = zf.read("README.txt").decode()
            assert zf.read("manual/zendesk/tickets.csv") == tickets
        assert [a["email"] for a in accounts] == [email]
        assert [b["address"] for b in boxes] == list(mailboxes)
        # Credentials are left out and the package says so; context fields are shown.
        assert "password_hash" not in accounts[0] and "created_at" in accounts[0]
        assert "Password hash (postlicht_app.accounts.password_hash)" in readme
        assert len(invoices) == len(invoices_before)
        assert all(i["number"] and i["issued_on"] for i in invoices)
        assert "Deleted 30 days after the account is closed." in readme
        assert [(h["purpose"], h["decision"]) for h in history] == [("newsletter", "granted")]
        assert "Postlicht newsletter" in readme

        # Erasure: the account is masked, invoices are kept under the tax-law hold.
        rid = _ask(client, smtp_server.mailbox, "erasure", email, token)
        (report,) = run_requests(store, [rid], settings=settings)
        assert report.status == "waiting", report
        for owner in (HELP_DESK, MAILING):
            res = client.post(_task_link(smtp_server.mailbox, owner), data={"outcome": "done"})
            assert res.status_code == 200, res.text
        assert client.get(f"/api/v1/requests/{rid}", headers=auth(token)).json()["status"] == (
            "completed"
        )
        erased = Mailbox.text(smtp_server.mailbox.to(email)[-1])
        assert "- Zendesk, Inc.: done" in erased and "(Postmark): done" in erased
        with app_db.connect() as conn:
            stored = conn.execute(
                text("SELECT email FROM accounts WHERE id = :a"), {"a": account_id}
            ).scalar_one()
            invoices_after = conn.execute(
                text("SELECT * FROM invoices WHERE account_id = :a ORDER BY id"), {"a": account_id}
            ).all()
        assert stored != email and stored.endswith("@erased.invalid")
        assert invoices_after == invoices_before
        letter = " ".join(Mailbox.text(smtp_server.mailbox.to(email)[-1]).split())
        assert "invoices" in letter.lower()
        # Once per rule: why, and until when as a date; German tax law keeps invoices.
        assert letter.count("- Invoices:") == 1
        assert (
            "Why: German tax and commercial law require us to keep invoices for ten years (§"
            in letter
        )
        assert "at the latest, then we erase it." in letter
