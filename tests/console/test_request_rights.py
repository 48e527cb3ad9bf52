"""The request page's staff actions beyond the decision: mark done by hand and reopen, a
restriction lifted after its letter, an objection decided purpose by purpose (form errors),
and the manual tasks with their owner's link sent again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.models.datamap import DataMapVersion
from ombud.models.mail import OutboxMail
from ombud.models.manual import ManualTask
from ombud.models.requests import PrivacyRequest, RequestMessage
from tests.console.conftest import SignedIn, add_request

FRAUD = {"key": "essential.fraud_detection", "title": "Prevent fraud", "marketing": False}


def _reload(session: Session, request_id: str) -> PrivacyRequest:
    session.expire_all()
    row = session.get(PrivacyRequest, request_id)
    assert row is not None
    return row


def _post(client: Any, url: str, token: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)


def test_mark_done_by_hand_then_reopen(
    signed_in: SignedIn, db_session: Session, datamap: DataMapVersion
) -> None:
    row = add_request(db_session, status="approved")
    client, token = signed_in("privacy_officer")
    page = client.get(f"/staff/requests/{row.id}")
    assert "Mark done by hand</summary>" in page.text and "Reopen</summary>" not in page.text
    short = _post(client, f"/staff/requests/{row.id}/done", token, note="x")
    assert short.status_code == 422 and "at least 3 characters" in short.text
    assert _reload(db_session, row.id).status == "approved"

    note = "Deleted the paper file in the Berlin office."
    res = _post(client, f"/staff/requests/{row.id}/done", token, note=note)
    assert res.status_code == 303 and res.headers["location"].endswith("?done=done-by-hand")
    assert _reload(db_session, row.id).status == "completed"
    letter = db_session.scalars(
        select(RequestMessage).filter_by(request_id=row.id, kind="completion")
    ).one()
    assert note in letter.body
    page = client.get(res.headers["location"])
    assert "Marked done. The completion letter" in page.text
    assert "Marked done by hand" in page.text  # the timeline's audit entry
    assert "Reopen</summary>" in page.text and "Mark done by hand</summary>" not in page.text
    assert f'action="/staff/requests/{row.id}/approve"' not in page.text  # only reopen
    assert f"Done by hand by privacy_officer@console.test: {note}" in page.text

    res = _post(client, f"/staff/requests/{row.id}/reopen", token, reason="she wrote again")
    assert res.status_code == 303
    assert _reload(db_session, row.id).status == "approved"
    page = client.get(res.headers["location"])
    assert "Reopened" in page.text and "reopened: she wrote again" in page.text
    again = _post(client, f"/staff/requests/{row.id}/reopen", token, reason="once more")
    assert again.status_code == 409 and "cannot reopen" in again.text
    assert _post(client, f"/staff/requests/{row.id}/reopen", token, reason=" ").status_code == 422


def test_lift_shows_the_letter_then_sends_it_first(
    signed_in: SignedIn, db_session: Session, datamap: DataMapVersion
) -> None:
    row = add_request(db_session, kind="restriction")
    client, token = signed_in("privacy_officer")
    assert _post(client, f"/staff/requests/{row.id}/approve", token).status_code == 303
    assert _reload(db_session, row.id).status == "completed"  # no manual systems in this map
    page = client.get(f"/staff/requests/{row.id}")
    assert "in force" in page.text and "Lift the restriction</summary>" in page.text

    reason = "The accuracy of your address was confirmed."
    shown = _post(client, f"/staff/requests/{row.id}/restriction/letter", token, reason=reason)
    assert shown.status_code == 200
    assert "the person is told first" in shown.text and reason in shown.text
    assert "Send the letter and lift" in shown.text
    kinds = lambda: [  # noqa: E731
        m.kind for m in db_session.scalars(select(RequestMessage).filter_by(request_id=row.id))
    ]
    assert "restriction_lift" not in kinds()  # nothing sent by showing it

    res = _post(client, f"/staff/requests/{row.id}/restriction/lift", token, reason=reason)
    assert res.status_code == 303 and res.headers["location"].endswith("?done=lift")
    db_session.expire_all()
    assert kinds()[-1] == "restriction_lift"
    lifted = (_reload(db_session, row.id).result or {})["rights"]
    assert lifted["lifted_at"] and lifted["lift_reason"] == reason
    page = client.get(res.headers["location"])
    assert "The person was told first" in page.text and "lifted</span>" in page.text
    assert "Lift the restriction</summary>" not in page.text and reason in page.text
    assert "Restriction lifted" in page.text  # the timeline
    again = _post(client, f"/staff/requests/{row.id}/restriction/lift", token, reason=reason)
    assert again.status_code == 409 and "already lifted" in again.text
    letter = _post(client, f"/staff/requests/{row.id}/restriction/letter", token, reason=reason)
    assert letter.status_code == 409 and "no restriction in force" in letter.text


def test_objection_form_keeps_what_was_entered_on_an_error(
    signed_in: SignedIn, db_session: Session, datamap: DataMapVersion
) -> None:
    pending = [FRAUD, {"key": "essential.security", "title": "Stop attacks", "marketing": False}]
    result = {"type": "objection", "rights": {"handler": "objection", "stopped": [],
              "continued": [], "pending": pending}}  # fmt: skip
    row = add_request(db_session, kind="objection", result=result)
    viewer, _ = signed_in("viewer")
    read = viewer.get(f"/staff/requests/{row.id}").text
    assert "Decision needed" in read and "Waiting for a privacy officer" in read
    assert f'action="/staff/requests/{row.id}/objection"' not in read
    client, token = signed_in("privacy_officer")
    page = client.get(f"/staff/requests/{row.id}")
    assert "Decision needed" in page.text and "Prevent fraud" in page.text
    assert f'action="/staff/requests/{row.id}/approve"' not in page.text  # purpose by purpose
    url = f"/staff/requests/{row.id}/objection"
    keys = [p["key"] for p in pending]
    bad = [
        ({"purpose": keys, "decision": ["uphold", "refuse"], "reason": ["", "short"]},
         "compelling legitimate grounds"),
        ({"purpose": keys, "decision": ["uphold", ""], "reason": ["", ""]}, "choose uphold"),
        ({"purpose": keys[:1], "decision": ["uphold"], "reason": [""]}, "missing: " + keys[1]),
        ({}, "decide every pending purpose"),
    ]  # fmt: skip
    for data, message in bad:
        res = _post(client, url, token, **data)
        assert res.status_code == 422 and message in res.text, (data, res.text[:300])
    res = _post(client, url, token, purpose=keys, decision=["uphold", "refuse"],
                reason=["", "short"])  # fmt: skip
    assert '<option value="refuse" selected>' in res.text and ">short</textarea>" in res.text
    assert _reload(db_session, row.id).status == "verified"  # nothing changed

    grounds = "Sign-in logs protect every customer against account takeover."
    res = _post(client, url, token, purpose=keys, decision=["uphold", "refuse"],
                reason=["", grounds])  # fmt: skip
    assert res.status_code == 303 and res.headers["location"].endswith("?done=objection")
    done = _reload(db_session, row.id)
    assert done.status == "completed"
    assert (done.result or {})["rights"]["continued"][0]["reason"] == grounds
    page = client.get(res.headers["location"])
    assert "Decision needed" not in page.text and f"Stop attacks: {grounds}" in page.text
    assert "Objection decided" in page.text


def _task(session: Session, request_id: str, key: str, **extra: Any) -> ManualTask:
    task = ManualTask(
        request_id=request_id,
        system_kind="recipient",
        system_key=key,
        system_name=key.title(),
        owner=f"{key}@acme.example",
        action="export",
        identities={},
        due_on=utcnow().date() + timedelta(days=extra.pop("due_in", 10)),
        link_version=1,
        **extra,
    )
    session.add(task)
    session.commit()
    return task


def test_manual_tasks_and_resending_the_owners_link(
    signed_in: SignedIn, db_session: Session, datamap: DataMapVersion
) -> None:
    row = add_request(db_session, status="in_progress")
    now = utcnow()
    late = _task(db_session, row.id, "helpdesk", status="open", due_in=-1,
                 reminded_at=now - timedelta(days=3), escalated_at=now)  # fmt: skip
    _task(db_session, row.id, "crm", status="cannot_do", reason="licence expired",
          closed_at=now, closed_by="crm@acme.example")  # fmt: skip
    _task(db_session, row.id, "billing", status="done", note="all invoices",
          upload={"name": "export.csv", "size": 42, "sha256": "ab" * 32, "path": "x"},
          closed_at=now, closed_by="billing@acme.example")  # fmt: skip
    other = add_request(db_session, status="in_progress", email="bo@example.test")
    foreign = _task(db_session, other.id, "helpdesk", status="open")

    viewer, _ = signed_in("viewer")
    page = viewer.get(f"/staff/requests/{row.id}").text
    assert "Manual tasks" in page and "(1 open of 3)" in page
    assert "helpdesk@acme.example" in page and "overdue</span>" in page
    assert "escalated to the privacy officers" in page and "licence expired" in page
    assert "export.csv (42 bytes" in page and "all invoices" in page
    assert "Resend the owner's link" not in page

    client, token = signed_in("privacy_officer")
    assert "Resend the owner's link" in client.get(f"/staff/requests/{row.id}").text
    res = _post(client, f"/staff/requests/{row.id}/tasks/{late.id}/resend", token)
    assert res.status_code == 303 and res.headers["location"].endswith("?done=resend")
    db_session.expire_all()
    resent = db_session.get(ManualTask, late.id)
    assert resent is not None and resent.link_version == 2
    mails = db_session.scalars(select(OutboxMail).filter_by(to="helpdesk@acme.example")).all()
    assert [m.subject for m in mails] == ["New link: privacy request task for Helpdesk"]
    page = client.get(res.headers["location"]).text
    assert "A new link was mailed" in page and "Task link sent again" in page
    assert "system: Helpdesk" in page  # the timeline names the system, not the task id
    wrong = _post(client, f"/staff/requests/{row.id}/tasks/{foreign.id}/resend", token)
    assert wrong.status_code == 404 and "has no manual task" in wrong.text
    crm = db_session.scalars(select(ManualTask).filter_by(system_key="crm")).one()
    closed = _post(client, f"/staff/requests/{row.id}/tasks/{crm.id}/resend", token)
    assert closed.status_code == 409 and "already closed" in closed.text
