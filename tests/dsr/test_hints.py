"""Identity hints: kept apart from verified identities, shown to staff, decided by an officer."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.audit import repository as audit_repository
from ombud.dsr import hints, service
from ombud.execution.service import spec_for
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import code_from
from tests.fixtures.api import auth
from tests.fixtures.smtp import SmtpServer

EMAIL = "ada@example.test"


def _submit(client: TestClient, **extra: Any) -> str:
    body = {"type": "access", "email": EMAIL, "country": "DE", **extra}
    res = client.post("/api/v1/requests", json=body)
    assert res.status_code == 201, res.text
    rid: str = res.json()["id"]
    return rid


def _verify(client: TestClient, smtp: SmtpServer, rid: str, email: str = EMAIL) -> None:
    res = client.post(
        f"/api/v1/requests/{rid}/verify", json={"code": code_from(smtp.mailbox, email)}
    )
    assert res.status_code == 200, res.text


def _detail(client: TestClient, rid: str, token: str) -> dict[str, Any]:
    res = client.get(f"/api/v1/requests/{rid}", headers=auth(token))
    assert res.status_code == 200, res.text
    out: dict[str, Any] = res.json()
    return out


def test_given_identities_are_hints_and_the_email_joins_once_confirmed(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, tokens: dict[str, str]
) -> None:
    rid = _submit(client, phone=" +49 30 1234567 ", account_id="C-1001")
    before = _detail(client, rid, tokens["viewer"])
    assert before["identities"] == {}
    assert [
        (h["type"], h["value"], h["status"], h["source"]) for h in before["identity_hints"]
    ] == [
        ("phone", "+49 30 1234567", "pending", "api"),
        ("account_id", "C-1001", "pending", "api"),
    ]
    _verify(client, smtp_server, rid)
    after = _detail(client, rid, tokens["viewer"])
    assert after["identities"] == {"email": EMAIL}
    listed = client.get("/api/v1/requests", headers=auth(tokens["viewer"])).json()["items"]
    assert [len(r["identity_hints"]) for r in listed if r["id"] == rid] == [2]


def test_no_verification_jurisdiction_searches_with_the_email_only(
    client: TestClient, datamap: DataMapVersion, tokens: dict[str, str]
) -> None:
    res = client.post(
        "/api/v1/requests",
        json={"type": "opt_out_sale", "email": EMAIL, "jurisdiction": "ccpa", "phone": "+1 555"},
    )
    assert res.status_code == 201 and res.json()["status"] == "completed", res.text
    detail = _detail(client, res.json()["id"], tokens["viewer"])
    assert detail["identities"] == {"email": EMAIL}
    assert [(h["type"], h["status"]) for h in detail["identity_hints"]] == [("phone", "pending")]


def test_reject_then_accept_is_refused_and_both_are_audited(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    rid = _submit(client, phone="+49 30 7654321")
    _verify(client, smtp_server, rid)
    (hint,) = _detail(client, rid, tokens["viewer"])["identity_hints"]
    url = f"/api/v1/requests/{rid}/hints/{hint['id']}"
    decision = {"reason": "the person did not answer our call", "proof": "none"}
    assert client.post(
        f"{url}/accept", json=decision, headers=auth(tokens["viewer"])
    ).status_code == (403)
    assert client.post(f"{url}/reject", json={"reason": "no"}).status_code == 401
    short = client.post(
        f"{url}/accept",
        json={"reason": "ok", "proof": "seen"},
        headers=auth(tokens["privacy_officer"]),
    )
    assert short.status_code == 422
    nul = client.post(
        f"{url}/reject", json={"reason": "bad\x00 reason"}, headers=auth(tokens["privacy_officer"])
    )
    # The input guard refuses NUL in any body before the route sees it.
    assert nul.status_code == 422 and "NUL character" in nul.json()["error"]
    res = client.post(
        f"{url}/reject",
        json={"reason": "the number belongs to another customer"},
        headers=auth(tokens["privacy_officer"]),
    )
    assert res.status_code == 200, res.text
    assert res.json()["identity_hints"][0]["status"] == "rejected"
    again = client.post(
        f"{url}/accept",
        json={"reason": "changed my mind", "proof": "a call"},
        headers=auth(tokens["privacy_officer"]),
    )
    assert again.status_code == 409 and "already rejected" in again.json()["error"]
    missing = client.post(
        f"/api/v1/requests/{rid}/hints/nothere/reject",
        json={"reason": "no such hint"},
        headers=auth(tokens["privacy_officer"]),
    )
    assert missing.status_code == 404
    entries = audit_repository.for_subject(
        db_session, subject_type="privacy_request", subject_id=rid
    )
    (rejected,) = [e for e in entries if e.action == "request.identity_hint_rejected"]
    assert rejected.actor == "privacy_officer@staff.test"
    assert rejected.data == {
        "hint_id": hint["id"],
        "type": "phone",
        "source": "api",
        "reason": "the number belongs to another customer",
    }
    assert all("7654321" not in str(e.data) for e in entries)
    assert spec_for(service.get(db_session, rid)).identities == {"email": EMAIL}


def test_only_accepted_hints_seed_even_if_written_into_identities(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    rid = _submit(client, account_id="C-77")
    _verify(client, smtp_server, rid)
    row = service.get(db_session, rid)
    # A value that reached the column some other way (an old row, a hand edit) seeds nothing.
    row.identities = {**row.identities, "account_id": "C-77", "phone": "+1 999"}
    db_session.flush()
    assert hints.search_identities(row) == {"email": EMAIL}
    (hint,) = row.identity_hints
    res = client.post(
        f"/api/v1/requests/{rid}/hints/{hint['id']}/accept",
        json={"reason": "account number on a letter", "proof": "signed letter"},
        headers=auth(tokens["privacy_officer"]),
    )
    assert res.status_code == 409 and "already searches with a verified account_id" in res.text


def test_opendsr_extra_identities_are_hints_and_hashes_cannot_be_accepted(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    officer = auth(tokens["privacy_officer"])
    body = {
        "subject_request_id": str(uuid.uuid4()),
        "subject_request_type": "access",
        "submitted_time": "2026-03-01T10:00:00Z",
        "subject_identities": [
            {"identity_type": "email", "identity_value": EMAIL, "identity_format": "raw"},
            {"identity_type": "email", "identity_value": "other@example.test"},
            {
                "identity_type": "controller_customer_id",
                "identity_value": "c-9",
                "identity_format": "sha256",
            },
        ],
        "regulation": "gdpr",
    }
    res = client.post("/opendsr/requests", json=body, headers=officer)
    assert res.status_code == 201, res.text
    rid = res.json()["extensions"]["ombud"]["id"]
    _verify(client, smtp_server, rid)
    detail = _detail(client, rid, tokens["viewer"])
    assert detail["identities"] == {"email": EMAIL}
    by_type = {h["type"]: h for h in detail["identity_hints"]}
    assert by_type["email"]["value"] == "other@example.test"
    assert by_type["email"]["source"] == "opendsr"
    assert by_type["controller_customer_id"]["format"] == "sha256"
    decision = {"reason": "the controller vouches for it", "proof": "controller record"}
    hashed = client.post(
        f"/api/v1/requests/{rid}/hints/{by_type['controller_customer_id']['id']}/accept",
        json=decision,
        headers=officer,
    )
    assert hashed.status_code == 409 and "hash" in hashed.json()["error"]
    second = client.post(
        f"/api/v1/requests/{rid}/hints/{by_type['email']['id']}/accept",
        json=decision,
        headers=officer,
    )
    assert second.status_code == 409 and "one value per identity type" in second.json()["error"]


def test_hints_cannot_be_decided_once_the_request_ran(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    rid = _submit(client, phone="+44 20 1234")
    _verify(client, smtp_server, rid)
    service.approve(db_session, rid, actor="dpo")
    service.start_execution(db_session, rid, actor="x")
    service.complete_execution(db_session, rid, actor="x", result={})
    db_session.commit()
    (hint,) = service.get(db_session, rid).identity_hints
    res = client.post(
        f"/api/v1/requests/{rid}/hints/{hint['id']}/accept",
        json={"reason": "late check of the number", "proof": "a call"},
        headers=auth(tokens["privacy_officer"]),
    )
    assert res.status_code == 409 and "completed" in res.json()["error"]
