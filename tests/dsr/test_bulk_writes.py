"""Bulk intake writes its items together, and a conflict found then lands on its item."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.dsr import repository, service
from ombud.models.datamap import DataMapVersion
from ombud.models.requests import PrivacyRequest, RequestMessage, RequestNote
from tests.fixtures.api import auth
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.statements import statements

CHECKED = {"identity_verified": True, "verification_note": "signed letter, ID card seen"}


def _bulk(client: TestClient, token: str, emails: list[str]) -> dict[str, Any]:
    items = [{"type": "access", "email": e, "country": "DE", **CHECKED} for e in emails]
    res = client.post("/api/v1/requests/bulk", json={"items": items}, headers=auth(token))
    assert res.status_code == 200, res.text
    body: dict[str, Any] = res.json()
    return body


def test_a_bulk_intake_that_refuses_nothing_writes_each_table_once(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    emails = [f"w{n}@example.test" for n in range(4)]
    bind = db_session.get_bind()
    with statements(bind, "INSERT") as inserts:
        body = _bulk(client, tokens["privacy_officer"], emails)
    assert body["done"] == 4 and body["refused"] == 0
    for table in ("privacy_requests", "request_notes", "request_messages"):
        # One statement for the four items (five per item before).
        assert sum(f"INTO {table} " in s for s in inserts) == 1, (table, inserts)
    ids = [i["id"] for i in body["items"]]
    rows = db_session.scalars(select(PrivacyRequest).where(PrivacyRequest.id.in_(ids))).all()
    assert sorted(r.email for r in rows) == emails
    assert all(r.status == "verified" and r.acknowledged_at is not None for r in rows)
    notes = db_session.scalars(select(RequestNote).where(RequestNote.request_id.in_(ids))).all()
    assert sorted(n.request_id for n in notes) == sorted(ids)
    assert all(n.text == f"Identity checked: {CHECKED['verification_note']}" for n in notes)
    letters = db_session.scalars(
        select(RequestMessage).where(RequestMessage.request_id.in_(ids))
    ).all()
    assert sorted(m.kind for m in letters) == ["acknowledgement"] * 4
    for email in emails:  # each person's acknowledgement left after the commit
        assert len(smtp_server.mailbox.to(email)) == 1


def test_a_conflict_found_when_the_items_are_written_lands_on_its_item(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def twin_note(session: Session, request: PrivacyRequest, *, actor: str, text: str) -> Any:
        # Both "twin" items note under one id: the store refuses the second one's row.
        if request.email is not None and request.email.startswith("twin"):
            note = RequestNote(id="twin-note", request_id=request.id, author=actor, text=text)
            repository.add(session, note)
            return note
        return note_on(session, request, actor=actor, text=text)

    note_on = service.note_on
    monkeypatch.setattr(service, "note_on", twin_note)
    emails = ["twin1@example.test", "twin2@example.test", "solo@example.test"]
    body = _bulk(client, tokens["privacy_officer"], emails)
    assert (body["done"], body["refused"]) == (2, 1)
    first, second, third = body["items"]
    assert first["status"] == "verified" and third["status"] == "verified"
    assert second["id"] is None and second["code"] == "conflict"
    assert second["error"] == "item 1: conflicts with what the store already holds"
    stored = db_session.scalars(select(PrivacyRequest.email)).all()
    assert "twin2@example.test" not in stored  # the refused item left nothing
    assert {"twin1@example.test", "solo@example.test"} <= set(stored)
    assert smtp_server.mailbox.to("twin2@example.test") == []
    assert len(smtp_server.mailbox.to("solo@example.test")) == 1
