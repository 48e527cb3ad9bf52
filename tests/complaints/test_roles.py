"""Who may do what: the public makes complaints; viewers read; officers assign and answer."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.models.complaints import Complaint
from ombud.models.datamap import DataMapVersion
from tests.fixtures.api import auth
from tests.fixtures.smtp import SmtpServer


def test_viewer_reads_but_cannot_act(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    res = client.post(
        "/api/v1/complaints",
        json={"about": "general", "email": "vic@example.test", "text": "Why?"},
    )
    cid = res.json()["id"]
    viewer = auth(tokens["viewer"])
    assert client.get("/api/v1/complaints").status_code == 401
    assert client.get(f"/api/v1/complaints/{cid}").status_code == 401
    assert client.get(f"/api/v1/complaints/{cid}", headers=viewer).status_code == 200
    for path, body in (
        ("answer", {"text": "Because."}),
        ("assign", {"assignee": "viewer@staff.test"}),
        ("notes", {"text": "n"}),
    ):
        assert client.post(f"/api/v1/complaints/{cid}/{path}", json=body).status_code == 401
        res = client.post(f"/api/v1/complaints/{cid}/{path}", json=body, headers=viewer)
        assert res.status_code == 403, path
    db_session.expire_all()
    row = db_session.get(Complaint, cid)
    assert row is not None and row.status == "open" and row.answer is None
    assert len(smtp_server.mailbox.to("vic@example.test")) == 1  # the acknowledgement only
    res = client.post(
        f"/api/v1/complaints/{cid}/answer", json={"text": "Because."},
        headers=auth(tokens["admin"]),
    )  # fmt: skip
    assert res.status_code == 200
