"""``/staff/complaints``: the list with filters, one complaint with its timeline; assign, note
and answer with the letter shown before it is sent (the same text as the one queued)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from markupsafe import escape
from sqlalchemy.orm import Session

from ombud.complaints import letters, service
from ombud.complaints.schemas import ComplaintCreate
from ombud.models.complaints import Complaint
from ombud.models.datamap import DataMapVersion
from ombud.outbox import service as outbox
from tests.console.conftest import SignedIn


def _complaint(session: Session, text: str, *, late: bool = False) -> Complaint:
    row = service.submit(
        session,
        data=ComplaintCreate(about="general", email="ana@example.com", text=text),
        source="web",
    )
    if late:
        row.due_on = row.received_on - timedelta(days=2)
    session.commit()
    return row


def test_list_filters_by_status_and_overdue(
    signed_in: SignedIn, db_session: Session, datamap: DataMapVersion
) -> None:
    on_time = _complaint(db_session, "You kept my data too long.")
    late = _complaint(db_session, "Nobody answered me.", late=True)
    viewer, _ = signed_in("viewer")
    page = viewer.get("/staff/complaints")
    assert page.status_code == 200
    assert on_time.reference in page.text and late.reference in page.text
    assert "1 overdue" in page.text and "overdue 2 d" in page.text
    page = viewer.get("/staff/complaints?overdue=1")
    assert late.reference in page.text and on_time.reference not in page.text
    page = viewer.get("/staff/complaints?status=answered")
    assert "No complaint matches." in page.text
    bad = viewer.get("/staff/complaints?status=closed")
    assert bad.status_code == 422 and "status: use one of open, answered, all" in bad.text
    missing = viewer.get("/staff/complaints/C-NOPE")
    assert missing.status_code == 404 and "no complaint with id or reference C-NOPE" in missing.text
    detail = viewer.get(f"/staff/complaints/{late.reference}")
    assert detail.status_code == 200 and "Nobody answered me." in detail.text
    assert "Received" in detail.text and "Letter sent: complaint acknowledgement" in detail.text
    assert "Show the letter" not in detail.text and "/assign" not in detail.text  # a viewer


def test_officer_assigns_notes_previews_and_answers(
    signed_in: SignedIn,
    db_session: Session,
    datamap: DataMapVersion,
    staff_users: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued: list[str] = []
    enqueue = outbox.enqueue

    def capture(*args: Any, **kwargs: Any) -> Any:
        queued.append(kwargs["text"])
        return enqueue(*args, **kwargs)

    monkeypatch.setattr(letters.outbox, "enqueue", capture)
    row = _complaint(db_session, "You sent me ads after I objected.")
    officer, token = signed_in("privacy_officer")
    base = f"/staff/complaints/{row.id}"
    res = officer.post(
        f"{base}/assign",
        data={"csrf_token": token, "assignee": staff_users["viewer"]},
        follow_redirects=False,
    )
    assert res.status_code == 303 and res.headers["location"] == f"{base}?done=assign"
    page = officer.get(res.headers["location"])
    assert "Assignment saved." in page.text and f"Assigned to {staff_users['viewer']}" in page.text
    res = officer.post(f"{base}/assign", data={"csrf_token": token, "assignee": "x@nowhere.test"})
    assert res.status_code == 422 and "no staff member with email" in res.text
    res = officer.post(f"{base}/notes", data={"csrf_token": token, "text": "Check the ad list."})
    assert res.status_code == 200 and "Check the ad list." in res.text  # followed the redirect
    res = officer.post(f"{base}/notes", data={"csrf_token": token, "text": "  "})
    assert res.status_code == 422 and "text: write the note" in res.text
    # The answer: first the letter, nothing sent; then sent, the same text as shown.
    res = officer.post(f"{base}/answer/letter", data={"csrf_token": token, "text": " "})
    assert res.status_code == 422 and "write the answer first" in res.text
    answer = "We removed you from the advertising list & are sorry."
    mails_before = len(queued)
    res = officer.post(f"{base}/answer/letter", data={"csrf_token": token, "text": answer})
    assert res.status_code == 200 and 'id="letter-preview"' in res.text
    assert "Send this answer" in res.text and "are sorry" in res.text
    assert len(queued) == mails_before  # shown, not sent
    preview = res.text.split('id="letter-preview">')[1].split("</div>")[0]
    res = officer.post(
        f"{base}/answer", data={"csrf_token": token, "text": answer}, follow_redirects=False
    )
    assert res.status_code == 303 and res.headers["location"] == f"{base}?done=answer"
    db_session.expire_all()
    stored = db_session.get(Complaint, row.id)
    assert stored is not None and stored.status == "answered" and stored.answer == answer
    assert len(queued) == mails_before + 1 and str(escape(queued[-1])) == preview
    page = officer.get(f"{base}?done=answer")
    assert "Answered. The letter was sent." in page.text and "Send this answer" not in page.text
    res = officer.post(f"{base}/answer/letter", data={"csrf_token": token, "text": answer})
    assert res.status_code == 409 and "already answered" in res.text
    res = officer.post(f"{base}/answer", data={"csrf_token": token, "text": answer})
    assert res.status_code == 409 and "already answered" in res.text
