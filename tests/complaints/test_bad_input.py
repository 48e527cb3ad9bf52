"""Bad complaints get a clear 4xx naming the field, and nothing is stored or sent."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.complaints.schemas import TEXT_LIMIT
from ombud.models.complaints import Complaint
from ombud.models.datamap import DataMapVersion
from ombud.models.mail import OutboxMail
from tests.fixtures.api import auth
from tests.fixtures.smtp import SmtpServer

BASE = {"email": "eve@example.test", "text": "Not happy."}


def _count(session: Session) -> tuple[int, int]:
    session.expire_all()
    return (
        session.scalar(select(func.count()).select_from(Complaint)) or 0,
        session.scalar(select(func.count()).select_from(OutboxMail)) or 0,
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"about": "request", "request": "no-such-request"}, "request"),
        ({"about": "request"}, "request"),
        ({"about": "processing", "purpose": "marketing.unknown"}, "purpose"),
        ({"about": "processing"}, "purpose"),
        ({"about": "general", "text": "x" * (TEXT_LIMIT + 1)}, "text"),
        ({"about": "general", "text": "   "}, "text"),
        ({"about": "general", "jurisdiction": "atlantis"}, "jurisdiction"),
        ({"about": "sideways"}, "about"),
        ({"about": "general", "email": "not-an-address"}, "email"),
    ],
)
def test_api_names_the_field(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    body: dict[str, Any],
    field: str,
) -> None:
    before = _count(db_session)
    res = client.post("/api/v1/complaints", json={**BASE, **body})
    assert res.status_code == 422, res.text
    assert res.json()["error"].startswith(f"{field}:") or any(
        field in [str(p) for p in d["loc"]] for d in res.json()["detail"]
    ), res.json()
    assert field in res.json()["error"]
    assert _count(db_session) == before
    assert smtp_server.mailbox.messages == []


def test_form_keeps_what_was_typed(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    text = "My long story " * 10
    res = client.post(
        "/privacy/complaint",
        data={
            "about": "request",
            "request": "no-such-request",
            "text": text,
            "email": "eve@example.test",
        },
    )
    assert res.status_code == 422
    assert 'id="request-error"' in res.text
    assert "We found no request with this reference" in res.text
    # Nothing lost: the text and address are in the form again.
    assert text.strip() in res.text and 'value="eve@example.test"' in res.text
    res = client.post(
        "/privacy/complaint",
        data={"about": "general", "text": "x" * (TEXT_LIMIT + 1), "email": "eve@example.test"},
    )
    assert res.status_code == 422 and 'id="text-error"' in res.text
    assert _count(db_session) == (0, 0)


def test_form_refuses_other_sites(client: TestClient, datamap: DataMapVersion) -> None:
    res = client.post(
        "/privacy/complaint",
        data={"about": "general", "text": "hi", "email": "eve@example.test"},
        headers={"Origin": "https://evil.example"},
    )
    assert res.status_code == 403


def test_rate_limited(client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer) -> None:
    statuses = [
        client.post("/api/v1/complaints", json={**BASE, "about": "general"}).status_code
        for _ in range(12)
    ]
    assert statuses[0] == 201 and statuses[-1] == 429


def test_staff_bad_input(
    client: TestClient, datamap: DataMapVersion, tokens: dict[str, str]
) -> None:
    officer = auth(tokens["privacy_officer"])
    res = client.post("/api/v1/complaints", json={**BASE, "about": "general"})
    cid = res.json()["id"]
    res = client.post(
        f"/api/v1/complaints/{cid}/assign", json={"assignee": "nobody@x.test"}, headers=officer
    )
    assert res.status_code == 422 and res.json()["error"].startswith("assignee:")
    res = client.post(f"/api/v1/complaints/{cid}/answer", json={"text": ""}, headers=officer)
    assert res.status_code == 422 and "text" in res.json()["error"]
    res = client.get("/api/v1/complaints/C-NOTHERE", headers=officer)
    assert res.status_code == 404
    res = client.get("/api/v1/complaints", params={"status": "lost"}, headers=officer)
    assert res.status_code == 422 and res.json()["error"].startswith("status:")
