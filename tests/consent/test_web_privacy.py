"""The preference center with a real client address and default settings; links that never
carry the address."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import preferences, repository_subjects, service
from ombud.consent.ledger import email_subject
from ombud.models.consent import ConsentPending, ConsentRecord
from ombud.models.datamap import DataMapVersion
from tests.consent.conftest import link_in
from tests.fixtures.smtp import Mailbox, SmtpServer


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A client connecting from 203.0.113.77, as a browser on the internet would."""
    with TestClient(app, client=("203.0.113.77", 51000)) as c:
        yield c


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, page
    return match.group(1)


def test_a_choice_posted_with_default_settings_is_saved_with_a_truncated_ip(
    browser: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    assert settings.ip_truncation and settings.store_ip  # the defaults
    link = preferences.preference_link(db_session, "ora@example.com", settings)
    page = browser.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200
    res = browser.post(
        "/privacy/preferences",
        data={"csrf": _csrf(page.text), "purpose": "newsletter", "decision": "granted"},
    )
    assert res.status_code == 200, res.text
    assert "Saved: Newsletter" in res.text
    rec = db_session.scalars(select(ConsentRecord)).one()
    assert (rec.purpose, rec.decision, rec.ip) == ("newsletter", "granted", "203.0.113.0/24")


def test_double_opt_in_from_a_real_address_stores_it_truncated_once(
    browser: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    res = browser.post(
        "/privacy/subscribe", data={"email": "pia@example.com", "purpose": "newsletter"}
    )
    assert res.status_code == 200 and "Check your inbox" in res.text
    assert db_session.scalars(select(ConsentPending)).one().ip == "203.0.113.0/24"
    (mail,) = smtp_server.mailbox.to("pia@example.com")
    done = browser.post(link_in(Mailbox.text(mail), "/privacy/confirm/"))
    assert done.status_code == 200 and "confirmed" in done.text
    rec = db_session.scalars(select(ConsentRecord)).one()
    assert rec.ip == "203.0.113.0/24"
    assert rec.evidence["double_opt_in"]["requested_ip"] == "203.0.113.0/24"


def test_a_preference_link_carries_no_address(
    browser: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    link = preferences.preference_link(db_session, "Quinn@Example.com", settings)
    token = link.split("t=", 1)[1]
    payload = token.split(".", 1)[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"example" not in decoded.lower() and b"quinn" not in decoded.lower()
    page = browser.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200 and "quinn@example.com" in page.text


def test_a_preference_link_stops_working_after_erasure(
    browser: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    link = preferences.preference_link(db_session, "rex@example.com", settings)
    service.record_decision(
        db_session, email="rex@example.com", purpose="newsletter", decision="granted", method="api"
    )
    repository_subjects.erase(
        db_session, email_subject("rex@example.com", settings).hash, at=datamap.created_at
    )
    page = browser.get(link.removeprefix("http://testserver"))
    assert page.status_code == 400 and "no longer valid" in page.text
