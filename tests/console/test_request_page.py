"""One request's page: facts, timeline, identities and the decisions as form posts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy.orm import Session

from ombud.dsr import hints
from ombud.models.datamap import DataMapVersion
from ombud.models.requests import PrivacyRequest, RequestMessage
from tests.console.conftest import SignedIn, add_request


def _reload(session: Session, request_id: str) -> PrivacyRequest:
    session.expire_all()
    row = session.get(PrivacyRequest, request_id)
    assert row is not None
    return row


def test_page_shows_facts_and_timeline(
    signed_in: SignedIn, db_session: Session, datamap: DataMapVersion
) -> None:
    row = add_request(db_session, email="ana@example.test", due_in=3)
    client, token = signed_in("privacy_officer")
    res = client.post(
        f"/staff/requests/{row.id}/notes", data={"csrf_token": token, "text": "called her"},
        follow_redirects=False,
    )  # fmt: skip
    assert res.status_code == 303 and res.headers["location"].endswith("?done=note")
    page = client.get(res.headers["location"])
    assert "Note added." in page.text and "called her" in page.text
    assert "ana@example.test" in page.text and "3 d left" in page.text
    assert "Approve" in page.text and "Show the preview" in page.text


def test_viewer_reads_but_sees_no_decisions(signed_in: SignedIn, db_session: Session) -> None:
    row = add_request(db_session)
    client, _ = signed_in("viewer")
    page = client.get(f"/staff/requests/{row.id}")
    assert page.status_code == 200
    assert f'action="/staff/requests/{row.id}/approve"' not in page.text
    assert "can read requests but not decide" in page.text
    assert client.get(f"/staff/requests/{row.id}/package").status_code == 403


def test_approve(signed_in: SignedIn, db_session: Session, datamap: DataMapVersion) -> None:
    row = add_request(db_session)
    client, token = signed_in("privacy_officer")
    res = client.post(
        f"/staff/requests/{row.id}/approve", data={"csrf_token": token, "note": "ID seen"},
        follow_redirects=False,
    )  # fmt: skip
    assert res.status_code == 303
    assert _reload(db_session, row.id).status == "approved"
    page = client.get(res.headers["location"])
    assert "Approved." in page.text and "Run now" in page.text
    assert "from: verified; to: approved" in page.text
    # Approving twice is refused on the page, with the reason.
    again = client.post(f"/staff/requests/{row.id}/approve", data={"csrf_token": token})
    assert again.status_code == 409 and "cannot approve" in again.text


def test_deny_shows_the_letter_first(
    signed_in: SignedIn, db_session: Session, datamap: DataMapVersion
) -> None:
    row = add_request(db_session, email="bo@example.test")
    client, token = signed_in("privacy_officer")
    reason = "We hold no data about you in our systems."
    shown = client.post(
        f"/staff/requests/{row.id}/deny/letter", data={"csrf_token": token, "reason": reason}
    )
    assert shown.status_code == 200
    assert "The denial letter" in shown.text and reason in shown.text
    assert _reload(db_session, row.id).status == "verified"  # nothing sent yet
    assert db_session.query(RequestMessage).filter_by(request_id=row.id).count() == 0
    res = client.post(
        f"/staff/requests/{row.id}/deny", data={"csrf_token": token, "reason": reason},
        follow_redirects=False,
    )  # fmt: skip
    assert res.status_code == 303
    denied = _reload(db_session, row.id)
    assert denied.status == "denied" and denied.denial_reason == reason
    letter = db_session.query(RequestMessage).filter_by(request_id=row.id, kind="denial").one()
    assert reason in letter.body
    page = client.get(f"/staff/requests/{row.id}")
    assert "Letter: " in page.text and "Deny</summary>" not in page.text


def test_extend(signed_in: SignedIn, db_session: Session, datamap: DataMapVersion) -> None:
    row = add_request(db_session, due_in=10)
    client, token = signed_in("privacy_officer")
    res = client.post(
        f"/staff/requests/{row.id}/extend",
        data={"csrf_token": token, "reason": "many systems to search"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    extended = _reload(db_session, row.id)
    assert extended.extended_due_on is not None and extended.due_on is not None
    assert extended.extended_due_on > extended.due_on + timedelta(days=20)
    again = client.post(
        f"/staff/requests/{row.id}/extend", data={"csrf_token": token, "reason": "again"}
    )
    assert again.status_code == 409 and "only one extension" in again.text


def test_proof_cancel_and_assign(
    signed_in: SignedIn,
    db_session: Session,
    datamap: DataMapVersion,
    staff_users: dict[str, str],
) -> None:
    row = add_request(db_session)
    client, token = signed_in("admin")
    client.post(
        f"/staff/requests/{row.id}/request-proof",
        data={"csrf_token": token, "reason": "a copy of your last invoice"},
    )
    assert _reload(db_session, row.id).paused_at is not None
    client.post(f"/staff/requests/{row.id}/proof-received", data={"csrf_token": token})
    assert _reload(db_session, row.id).paused_at is None
    client.post(
        f"/staff/requests/{row.id}/assign",
        data={"csrf_token": token, "assignee": staff_users["privacy_officer"], "reason": "hers"},
    )
    assert _reload(db_session, row.id).assignee_id is not None
    client.post(f"/staff/requests/{row.id}/cancel", data={"csrf_token": token, "reason": "dup"})
    assert _reload(db_session, row.id).status == "cancelled"
    page = client.get(f"/staff/requests/{row.id}")
    assert "assigned to privacy_officer@console.test: hers" in page.text


def test_identity_hints(signed_in: SignedIn, db_session: Session) -> None:
    phone = hints.make("phone", "+49 30 1234567", source="web")
    account = hints.make("account_id", "A-77", source="web")
    row = add_request(db_session, identity_hints=[phone, account])
    client, token = signed_in("privacy_officer")
    page = client.get(f"/staff/requests/{row.id}")
    assert "Accept or reject this phone" in page.text
    client.post(
        f"/staff/requests/{row.id}/hints/{phone['id']}/accept",
        data={"csrf_token": token, "reason": "same as on file", "proof": "invoice shown"},
    )
    client.post(
        f"/staff/requests/{row.id}/hints/{account['id']}/reject",
        data={"csrf_token": token, "reason": "not ours"},
    )
    stored = _reload(db_session, row.id)
    assert stored.identities.get("phone") == "+49 30 1234567"
    assert [h["status"] for h in stored.identity_hints] == ["accepted", "rejected"]
    missing = client.post(
        f"/staff/requests/{row.id}/hints/{phone['id']}/reject",
        data={"csrf_token": token, "reason": "changed my mind"},
    )
    assert missing.status_code == 409


def test_unknown_request_is_404(signed_in: SignedIn) -> None:
    client, _ = signed_in("viewer")
    res = client.get("/staff/requests/00000000-0000-0000-0000-000000000000")
    assert res.status_code == 404


class _Runner:
    """The server's runner as the console sees it: what its approvals wake it with."""

    def __init__(self) -> None:
        self.woken: list[list[str]] = []

    def wake(self, request_ids: Sequence[str] = ()) -> None:
        self.woken.append(list(request_ids))


def test_an_approval_names_the_request_to_the_runner(
    app: FastAPI, signed_in: SignedIn, db_session: Session, datamap: DataMapVersion
) -> None:
    # Named, the runner claims it at once (and on PostgreSQL may complete an access request in
    # the claim's transaction) instead of first looking for work.
    runner = _Runner()
    app.state.execution_runner = runner
    row, other = add_request(db_session), add_request(db_session)
    client, token = signed_in("privacy_officer")
    res = client.post(
        f"/staff/requests/{row.id}/approve", data={"csrf_token": token}, follow_redirects=False
    )
    assert res.status_code == 303 and runner.woken == [[row.id]]
    res = client.post(
        "/staff/requests/bulk",
        data={"csrf_token": token, "action": "approve", "reason": "ID seen", "ids": [other.id]},
    )
    assert "Approve: 1 of 1 done" in res.text
    assert runner.woken == [[row.id], [other.id]]
