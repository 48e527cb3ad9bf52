"""Bad input gets a clear 4xx and changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.dsr import workflow
from ombud.models.datamap import DataMapVersion
from ombud.models.requests import RequestStatus
from tests.dsr.conftest import code_from, counts
from tests.fixtures.api import Clock, auth
from tests.fixtures.smtp import SmtpServer


def test_unknown_type_is_refused(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    before = counts(db_session)
    res = client.post("/api/v1/requests", json={"type": "teleport", "email": "a@example.test"})
    assert res.status_code == 422 and res.json()["error"].startswith("type:")
    assert counts(db_session) == before and smtp_server.mailbox.messages == []


def test_malformed_email_is_refused(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    before = counts(db_session)
    res = client.post("/api/v1/requests", json={"type": "access", "email": "not-an-address"})
    assert res.status_code == 422 and "email" in res.json()["error"]
    page = client.post("/privacy/request", data={"type": "access", "email": "nope@"})
    assert page.status_code == 422 and 'id="email-error"' in page.text
    assert 'value="nope@"' in page.text
    assert counts(db_session) == before and smtp_server.mailbox.messages == []


def test_unknown_jurisdiction_and_type_not_granted(
    client: TestClient, db_session: Session, datamap: DataMapVersion
) -> None:
    before = counts(db_session)
    res = client.post(
        "/api/v1/requests", json={"type": "access", "email": "a@example.test", "jurisdiction": "xx"}
    )
    assert res.status_code == 422 and "unknown jurisdiction 'xx'" in res.json()["error"]
    res = client.post(
        "/api/v1/requests",
        json={"type": "objection", "email": "a@example.test", "jurisdiction": "ccpa"},
    )
    assert res.status_code == 422 and "does not grant a objection" in res.json()["error"]
    assert counts(db_session) == before


def test_wrong_code_too_many_times_locks(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    res = client.post("/api/v1/requests", json={"type": "access", "email": "eve@example.test"})
    rid = res.json()["id"]
    code = code_from(smtp_server.mailbox, "eve@example.test")
    wrong = "000000" if code != "000000" else "111111"
    for left in range(settings.verification_max_attempts - 1, 0, -1):
        res = client.post(f"/api/v1/requests/{rid}/verify", json={"code": wrong})
        assert res.status_code == 400 and f"{left} attempt(s) left" in res.json()["error"]
    res = client.post(f"/api/v1/requests/{rid}/verify", json={"code": wrong})
    assert res.status_code == 429 and "locked" in res.json()["error"]
    res = client.post(f"/api/v1/requests/{rid}/verify", json={"code": code})
    assert res.status_code == 429 and "ask for a new code in 60 minute(s)" in res.json()["error"]
    db_session.expire_all()
    assert workflow_status(db_session, rid) == RequestStatus.awaiting_verification
    # A fresh code does not give new tries while the wrong ones still count...
    frozen_clock.advance(minutes=20)
    assert client.post(f"/api/v1/requests/{rid}/resend").status_code == 202
    fresh = code_from(smtp_server.mailbox, "eve@example.test")
    res = client.post(f"/api/v1/requests/{rid}/verify", json={"code": fresh})
    assert res.status_code == 429 and "ask for a new code in 60 minute(s)" in res.json()["error"]
    # ...and once no code was sent for the lockout time, a new code works.
    frozen_clock.advance(minutes=settings.verification_lockout_minutes + 1)
    assert client.post(f"/api/v1/requests/{rid}/resend").status_code == 202
    fresh = code_from(smtp_server.mailbox, "eve@example.test")
    assert client.post(f"/api/v1/requests/{rid}/verify", json={"code": fresh}).status_code == 200


def workflow_status(session: Session, rid: str) -> RequestStatus:
    from ombud.dsr import repository

    row = repository.get(session, rid)
    assert row is not None
    return RequestStatus(row.status)


def test_expired_code_is_refused(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    rid = client.post(
        "/api/v1/requests", json={"type": "access", "email": "x@example.test"}
    ).json()["id"]
    code = code_from(smtp_server.mailbox, "x@example.test")
    frozen_clock.advance(minutes=31)
    res = client.post(f"/api/v1/requests/{rid}/verify", json={"code": code})
    assert res.status_code == 410 and "expired" in res.json()["error"]
    assert workflow_status(db_session, rid) == RequestStatus.awaiting_verification


def test_transition_not_allowed(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    rid = client.post(
        "/api/v1/requests", json={"type": "access", "email": "u@example.test"}
    ).json()["id"]
    before = counts(db_session)
    res = client.post(f"/api/v1/requests/{rid}/approve", headers=auth(tokens["privacy_officer"]))
    assert res.status_code == 409
    error = res.json()["error"]
    assert "awaiting_verification cannot become approved" in error
    assert counts(db_session) == before
    assert workflow_status(db_session, rid) == RequestStatus.awaiting_verification


def test_transition_table_covers_every_state() -> None:
    assert set(workflow.TRANSITIONS) == set(RequestStatus)
    for target in (RequestStatus.denied, RequestStatus.cancelled):
        assert workflow.TRANSITIONS[target] == frozenset()
    # Only staff reopening a completed request moves it on (to approved).
    assert workflow.TRANSITIONS[RequestStatus.completed] == frozenset({RequestStatus.approved})
    assert workflow.allowed("failed", "in_progress")
    assert not workflow.allowed("received", "approved")
