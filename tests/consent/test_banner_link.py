"""The preference center shows this browser's cookie choices, and verifying an email links
the browser's banner decisions to the person (once)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import ledger, repository_subjects
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.models.datamap import DataMapVersion
from tests.fixtures.smtp import Mailbox, SmtpServer

BANNER_MAP = Path(__file__).parent / "banner" / "datamap.yml"


@pytest.fixture
def banner_map(db_session: Session, consent_settings: Settings) -> DataMapVersion:
    """The test website's data map, applied."""
    version, _ = datamap_service.apply_map(
        db_session, datamap=load_datamap(BANNER_MAP), files={}, author="test"
    )
    db_session.commit()
    return version


def _choose(client: TestClient, choices: dict[str, bool]) -> str:
    device = str(uuid.uuid4())
    cfg = client.get("/privacy/consent/config").json()
    body = {"device_id": device, "choices": choices, "notice_hash": cfg["notice"]["hash"]}
    assert client.post("/privacy/consent/decision", json=body).status_code == 201
    cookie = {"id": device, "h": cfg["notice"]["hash"], "t": 0, "c": choices}
    client.cookies.set("ombud_consent", quote(json.dumps(cookie)))
    return device


def _sign_in(client: TestClient, smtp_server: SmtpServer, email: str) -> str:
    client.post("/privacy/preferences/code", data={"email": email})
    mail = smtp_server.mailbox.to(email)[-1]
    code = re.search(r"\b(\d{6})\b", Mailbox.text(mail))
    assert code
    page = client.post("/privacy/preferences/verify", data={"email": email, "code": code[1]})
    assert page.status_code == 200
    return page.text


def test_signin_page_shows_this_browsers_cookie_choices(
    client: TestClient, banner_map: DataMapVersion
) -> None:
    assert (
        "No cookie choices are recorded for this browser" in client.get("/privacy/preferences").text
    )
    _choose(client, {"analytics": True, "advertising": False})
    page = client.get("/privacy/preferences").text
    assert "<li>Analytics: <strong>Allowed</strong></li>" in page
    assert "<li>Advertising: <strong>Refused</strong></li>" in page


def test_verifying_an_email_links_the_device_decisions(
    client: TestClient,
    banner_map: DataMapVersion,
    db_session: Session,
    smtp_server: SmtpServer,
    settings: Settings,
) -> None:
    device = _choose(client, {"analytics": True, "advertising": False})
    page = _sign_in(client, smtp_server, "liv@example.com")
    assert (
        "<li>Analytics: <strong>Allowed</strong></li>" in page
    )  # the browser's choices, signed in
    person = ledger.email_subject("liv@example.com", settings)
    linked = repository_subjects.history_of(db_session, person.hash)
    assert [(r.purpose, r.decision, r.method) for r in linked] == [
        ("analytics.reporting", "granted", "banner"),
        ("marketing.advertising", "refused", "banner"),
    ]
    device_history = repository_subjects.history_of(
        db_session, ledger.make_subject("device", device, settings).hash
    )
    assert linked[0].evidence["device_receipt"] == device_history[0].receipt_id
    assert linked[0].notice_hash == device_history[0].notice_hash
    # Signing in again links nothing twice.
    _sign_in(client, smtp_server, "liv@example.com")
    assert len(repository_subjects.history_of(db_session, person.hash)) == 2


def test_a_later_own_choice_is_not_overwritten(
    client: TestClient,
    banner_map: DataMapVersion,
    db_session: Session,
    smtp_server: SmtpServer,
    settings: Settings,
) -> None:
    from ombud.consent import service

    _choose(client, {"analytics": True})
    service.record_decision(
        db_session,
        email="max@example.com",
        purpose="analytics.reporting",
        decision="refused",
        method="api",
    )
    db_session.commit()
    _sign_in(client, smtp_server, "max@example.com")
    person = ledger.email_subject("max@example.com", settings)
    states = {
        s.purpose: s.decision for s, _ in repository_subjects.states_of(db_session, person.hash)
    }
    assert states["analytics.reporting"] == "refused"
    assert states["marketing.advertising"] == "refused"
