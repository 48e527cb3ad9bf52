"""OpenDSR: discovery, forwarded requests, status mapping, cancel while pending."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.dsr import service
from ombud.execution import downloads, package
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import code_from, counts
from tests.fixtures.api import Clock, auth
from tests.fixtures.smtp import SmtpServer


def _body(**extra: object) -> dict[str, object]:
    return {
        "subject_request_id": str(uuid.uuid4()),
        "subject_request_type": "erasure",
        "submitted_time": "2026-03-01T10:00:00Z",
        "subject_identities": [
            {
                "identity_type": "email",
                "identity_value": "kim@example.test",
                "identity_format": "raw",
            }
        ],
        "regulation": "gdpr",
        "status_callback_urls": ["https://controller.example/callback"],
        **extra,
    }


def test_discovery(client: TestClient) -> None:
    body = client.get("/opendsr/discovery").json()
    assert body["api_version"] == "2.0"
    assert set(body["supported_subject_request_types"]) == {"access", "portability", "erasure"}


def test_forwarded_request_lifecycle(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    frozen_clock: Clock,
    settings: Settings,
) -> None:
    officer = auth(tokens["privacy_officer"])
    body = _body()
    res = client.post("/opendsr/requests", json=body, headers=officer)
    assert res.status_code == 201, res.text
    out = res.json()
    assert (
        out["request_status"] == "pending"
        and out["subject_request_id"] == body["subject_request_id"]
    )
    # Received 2 March 09:00 (the clock), submitted 1 March: the month runs from 2 March.
    assert out["expected_completion_time"].startswith("2026-04-02")
    dup = client.post("/opendsr/requests", json=body, headers=officer)
    assert dup.status_code == 409

    rid = out["extensions"]["ombud"]["id"]
    code = code_from(smtp_server.mailbox, "kim@example.test")
    assert client.post(f"/api/v1/requests/{rid}/verify", json={"code": code}).status_code == 200
    client.post(f"/api/v1/requests/{rid}/approve", headers=officer)
    service.start_execution(db_session, rid, actor="execution")
    db_session.commit()
    url = f"/opendsr/requests/{body['subject_request_id']}"
    assert client.get(url, headers=auth(tokens["viewer"])).json()["request_status"] == "in_progress"
    before = counts(db_session)
    res = client.delete(url, headers=officer)
    assert res.status_code == 409 and "only pending" in res.json()["error"]
    assert counts(db_session) == before
    export = package.store(settings, downloads.new_export_id(rid), b"PK package")
    service.complete_execution(db_session, rid, actor="execution", result={"export_id": export.id})
    db_session.commit()
    status = client.get(url, headers=officer).json()
    assert status["request_status"] == "completed"
    # The controller gets the staff download (a privacy_officer token), not the person's link.
    results_url = status["results_url"]
    assert results_url == f"http://testserver/api/v1/requests/{rid}/package"
    staff_path = results_url.removeprefix("http://testserver")
    assert client.get(staff_path, headers=officer).content == b"PK package"
    assert client.get(staff_path, headers=auth(tokens["viewer"])).status_code == 403


def test_cancel_while_pending(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, tokens: dict[str, str]
) -> None:
    officer = auth(tokens["privacy_officer"])
    body = _body(subject_request_type="access")
    client.post("/opendsr/requests", json=body, headers=officer)
    res = client.delete(f"/opendsr/requests/{body['subject_request_id']}", headers=officer)
    assert res.status_code == 200 and res.json()["request_status"] == "cancelled"
    assert res.json()["extensions"]["ombud"]["status"] == "cancelled"


def test_bad_opendsr_input(
    client: TestClient, db_session: Session, datamap: DataMapVersion, tokens: dict[str, str]
) -> None:
    officer = auth(tokens["privacy_officer"])
    before = counts(db_session)
    hashed = _body(
        subject_identities=[
            {"identity_type": "email", "identity_value": "ab" * 32, "identity_format": "sha256"}
        ]
    )
    res = client.post("/opendsr/requests", json=hashed, headers=officer)
    assert res.status_code == 422 and "raw format" in res.json()["error"]
    res = client.post(
        "/opendsr/requests", json=_body(subject_request_type="rectify"), headers=officer
    )
    assert res.status_code == 422
    assert client.post("/opendsr/requests", json=_body()).status_code == 401
    assert client.get(f"/opendsr/requests/{uuid.uuid4()}", headers=officer).status_code == 404
    assert counts(db_session) == before


def test_submitted_time_never_shortens_the_deadline(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    tokens: dict[str, str],
    frozen_clock: Clock,
) -> None:
    officer = auth(tokens["privacy_officer"])
    body = _body(submitted_time="2025-01-01T00:00:00Z")
    res = client.post("/opendsr/requests", json=body, headers=officer)
    assert res.status_code == 201, res.text
    out = res.json()
    assert out["received_time"].startswith("2026-03-02T09:00")
    assert out["expected_completion_time"].startswith("2026-04-02")
    rid = out["extensions"]["ombud"]["id"]
    row = service.get(db_session, rid)
    assert row.received_at == frozen_clock.now
    trail = client.get(
        "/api/v1/audit", params={"subject_id": rid}, headers=auth(tokens["admin"])
    ).json()
    recorded = [e for e in trail["items"] if e["action"] == "opendsr.submitted_time"]
    assert recorded and recorded[0]["data"]["submitted_time"].startswith("2025-01-01T00:00")
