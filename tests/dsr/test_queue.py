"""Assigning requests through the API, and the queue search behind the console."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.dsr import queue
from ombud.models.audit import AuditEntry
from ombud.models.requests import PrivacyRequest
from tests.console.conftest import add_request
from tests.fixtures.api import auth


def test_assign_and_unassign(
    client: TestClient, db_session: Session, tokens: dict[str, str]
) -> None:
    row = add_request(db_session)
    url = f"/api/v1/requests/{row.id}/assign"
    body = {"assignee": "viewer@staff.test", "reason": "first look"}
    assert client.post(url, json=body, headers=auth(tokens["viewer"])).status_code == 403
    res = client.post(url, json=body, headers=auth(tokens["privacy_officer"]))
    assert res.status_code == 200
    assert res.json()["assignee_id"] is not None
    assert [n["text"] for n in res.json()["notes"]] == ["assigned to viewer@staff.test: first look"]
    res = client.post(url, json={"assignee": None}, headers=auth(tokens["admin"]))
    assert res.status_code == 200 and res.json()["assignee_id"] is None
    missing = client.post(
        url, json={"assignee": "nobody@staff.test"}, headers=auth(tokens["admin"])
    )
    assert missing.status_code == 404 and "nobody@staff.test" in missing.json()["error"]
    entries = db_session.query(AuditEntry).filter_by(action="request.assigned").all()
    assert len(entries) == 2
    assert all("@" not in str(e.data) for e in entries)  # ids, never emails


def test_search_keeps_unverified_apart(db_session: Session) -> None:
    verified = add_request(db_session)
    asked = add_request(db_session, status="awaiting_verification")
    # A verified request waiting for more proof stays in the work queue.
    proof = add_request(db_session, status="awaiting_verification")
    stored = db_session.get(PrivacyRequest, proof.id)
    assert stored is not None
    stored.verified_at = stored.received_at
    db_session.flush()
    work = {i.request.id for i in queue.search(db_session, queue.Filters()).items}
    unverified = {
        i.request.id for i in queue.search(db_session, queue.Filters(status="unverified")).items
    }
    assert work == {verified.id, proof.id} and unverified == {asked.id}
