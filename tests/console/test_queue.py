"""The queue: filters in the query string, search, sort, pages, bulk decisions and spam."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from ombud.models.audit import AuditEntry
from ombud.models.requests import PrivacyRequest
from tests.console.conftest import SignedIn, add_request


def _refs(html: str) -> list[str]:
    body = html.split('id="queue"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<a href="/staff/requests/([0-9a-f-]{36})">', body)


def test_queue_lists_open_requests_with_deadlines(signed_in: SignedIn, db_session: Session) -> None:
    late = add_request(db_session, email="late@example.test", due_in=-2)
    soon = add_request(db_session, email="soon@example.test", due_in=3, kind="erasure")
    later = add_request(db_session, email="later@example.test", due_in=25)
    spam = add_request(db_session, status="awaiting_verification", email="spam@example.test")
    client, _ = signed_in("viewer")
    page = client.get("/staff/requests")
    assert page.status_code == 200
    assert _refs(page.text) == [late.id, soon.id, later.id]
    assert "overdue 2 d" in page.text and 'class="tag due-soon">3 d' in page.text
    unverified = page.text.split('id="unverified-h"', 1)[1]
    assert spam.id in unverified
    # A viewer sees no bulk actions and no delete buttons.
    assert 'name="ids"' not in page.text
    assert "Delete as spam" not in page.text


def test_filters_search_sort_and_pages(signed_in: SignedIn, db_session: Session) -> None:
    a = add_request(db_session, email="ana@example.test", kind="erasure", due_in=10)
    b = add_request(db_session, email="bo@example.test", kind="access", due_in=5)
    c = add_request(db_session, email="cy@example.test", kind="access", due_in=20,
                    received_days_ago=40)  # fmt: skip
    client, _ = signed_in("viewer")
    assert _refs(client.get("/staff/requests?type=access").text) == [b.id, c.id]
    assert _refs(client.get("/staff/requests?q=ANA@").text) == [a.id]
    assert _refs(client.get(f"/staff/requests?q={c.id[:8]}").text) == [c.id]
    assert _refs(client.get("/staff/requests?sort=deadline&order=desc").text) == [c.id, a.id, b.id]
    recent = client.get(f"/staff/requests?from={(c.received_on).isoformat()}&to={c.received_on}")
    assert _refs(recent.text) == [c.id]
    # htmx asks for the table only.
    part = client.get(
        "/staff/requests?type=erasure", headers={"HX-Request": "true", "HX-Target": "queue"}
    )
    assert part.text.lstrip().startswith('<section id="queue"') and _refs(part.text) == [a.id]
    assert client.get("/staff/requests?from=yesterday").status_code == 422
    assert client.get("/staff/requests?status=nonsense").status_code == 422


def test_pages_of_25(signed_in: SignedIn, db_session: Session) -> None:
    for i in range(27):
        add_request(db_session, email=f"p{i}@example.test", due_in=i + 1)
    client, _ = signed_in("viewer")
    first = client.get("/staff/requests")
    assert len(_refs(first.text)) == 25 and "Page 1 of 2" in first.text
    assert 'href="/staff/requests?page=2"' in first.text
    second = client.get("/staff/requests?page=2")
    assert len(_refs(second.text)) == 2


def test_bulk_approve_deny_assign(
    signed_in: SignedIn, db_session: Session, staff_users: dict[str, str]
) -> None:
    one = add_request(db_session, email="one@example.test")
    two = add_request(db_session, email="two@example.test")
    done = add_request(db_session, email="done@example.test", status="completed")
    client, token = signed_in("privacy_officer")
    res = client.post(
        "/staff/requests/bulk",
        data={"csrf_token": token, "action": "approve", "reason": "checked ID",
              "ids": [one.id, done.id]},
    )  # fmt: skip
    assert res.status_code == 200
    assert "Approve: 1 of 2 done" in res.text and "cannot approve" in res.text
    res = client.post(
        "/staff/requests/bulk",
        data={"csrf_token": token, "action": "assign", "reason": "yours",
              "assignee": staff_users["admin"], "ids": [one.id, two.id]},
    )  # fmt: skip
    assert "Assign: 2 of 2 done" in res.text
    res = client.post(
        "/staff/requests/bulk",
        data={"csrf_token": token, "action": "deny", "reason": "manifestly unfounded",
              "ids": [two.id]},
    )  # fmt: skip
    assert "Deny: 1 of 1 done" in res.text
    db_session.expire_all()
    approved = db_session.get(PrivacyRequest, one.id)
    assert approved is not None and approved.status == "approved"
    denied = db_session.get(PrivacyRequest, two.id)
    assert denied is not None and denied.status == "denied" and denied.assignee_id is not None
    res = client.post(
        "/staff/requests/bulk", data={"csrf_token": token, "action": "deny", "ids": [one.id]}
    )
    assert res.status_code == 422  # no reason


def test_delete_unverified_as_spam(signed_in: SignedIn, db_session: Session) -> None:
    spam = add_request(db_session, status="awaiting_verification", email="spam@example.test")
    real = add_request(db_session, email="real@example.test")
    client, token = signed_in("privacy_officer")
    res = client.post(
        f"/staff/requests/{spam.id}/discard", data={"csrf_token": token}, follow_redirects=False
    )
    assert res.status_code == 303
    res = client.post(f"/staff/requests/{real.id}/discard", data={"csrf_token": token})
    assert res.status_code == 409
    db_session.expire_all()
    assert db_session.get(PrivacyRequest, spam.id) is None
    assert db_session.get(PrivacyRequest, real.id) is not None
    entry = db_session.query(AuditEntry).filter_by(action="request.discarded").one()
    assert "spam@example.test" not in str(entry.data)
