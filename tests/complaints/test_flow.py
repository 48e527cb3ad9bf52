"""A complaint from the public page or the API to the answer letter, through the staff API."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.models.audit import AuditEntry
from ombud.models.complaints import Complaint
from ombud.models.datamap import DataMapVersion
from ombud.models.mail import OutboxMail
from tests.fixtures.api import EPOCH, Clock, auth
from tests.fixtures.smtp import Mailbox, SmtpServer

TEXT = "You kept mailing me after I unsubscribed. Secret-Detail-42"
REF_RE = re.compile(r"C-[2-9A-Z]{8}")


def _request_id(client: TestClient, email: str = "ada@example.test") -> str:
    res = client.post("/api/v1/requests", json={"type": "access", "email": email, "country": "DE"})
    assert res.status_code == 201, res.text
    return str(res.json()["id"])


def test_form_to_answer_letter(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    frozen_clock: Clock,
) -> None:
    page = client.get("/privacy/complaint")
    assert page.status_code == 200
    assert "Acme Widgets GmbH" in page.text and "Newsletter marketing" in page.text
    ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', page.text)
    for field_id in ids:
        assert f'<label for="{field_id}"' in page.text, field_id

    res = client.post(
        "/privacy/complaint",
        data={
            "about": "processing",
            "purpose": "marketing.communications.email",
            "email": "Ada@Example.test",
            "text": TEXT,
            "country": "DE",
        },
    )
    assert res.status_code == 200, res.text
    reference = REF_RE.search(res.text)
    assert reference is not None
    ref = reference.group(0)
    # GDPR: one month from the day of receipt (2 March 2026 -> 2 April 2026).
    assert "2026-04-02" in res.text

    row = db_session.scalars(select(Complaint).where(Complaint.reference == ref)).one()
    assert row.due_on == date(2026, 4, 2) and row.jurisdiction == "gdpr"
    assert row.email == "ada@example.test" and row.source == "web"
    # The acknowledgement went through the outbox and was sent.
    queued = db_session.scalars(select(OutboxMail).where(OutboxMail.to == row.email)).all()
    assert [q.status for q in queued] == ["sent"]
    mails = smtp_server.mailbox.to("ada@example.test")
    assert len(mails) == 1 and ref in str(mails[0]["Subject"])
    ack = Mailbox.text(mails[0])
    assert ref in ack and "2 April 2026" in ack and "Berliner Beauftragte" in ack

    officer = auth(tokens["privacy_officer"])
    listed = client.get("/api/v1/complaints", headers=auth(tokens["viewer"])).json()
    assert [c["reference"] for c in listed["items"]] == [ref]
    res = client.post(
        f"/api/v1/complaints/{ref}/assign",
        json={"assignee": "privacy_officer@staff.test"},
        headers=officer,
    )
    assert res.status_code == 200 and res.json()["assignee"] == "privacy_officer@staff.test"
    res = client.post(
        f"/api/v1/complaints/{row.id}/notes", json={"text": "checked the list"}, headers=officer
    )
    assert res.status_code == 201
    frozen_clock.advance(days=3)
    res = client.post(
        f"/api/v1/complaints/{row.id}/answer",
        json={"text": "We removed you from the list and fixed the unsubscribe link."},
        headers=officer,
    )
    assert res.status_code == 200, res.text
    shown = client.get(f"/api/v1/complaints/{row.id}", headers=auth(tokens["viewer"])).json()
    assert shown["status"] == "answered" and shown["notes"][0]["text"] == "checked the list"

    letter = Mailbox.text(smtp_server.mailbox.to("ada@example.test")[-1])
    assert "We removed you from the list" in letter
    assert "supervisory authority" in letter and "Berliner Beauftragte" in letter
    assert "JAMS" not in letter  # GDPR names no dispute body in this data map

    # Audit: one entry per step, never the person's text or address.
    entries = db_session.scalars(
        select(AuditEntry).where(AuditEntry.subject_id == row.id).order_by(AuditEntry.seq)
    ).all()
    actions = [e.action for e in entries]
    for action in ("complaint.received", "complaint.assigned", "complaint.note_added",
                   "complaint.answered"):  # fmt: skip
        assert action in actions
    dumped = " ".join(str(e.data) for e in entries)
    assert "Secret-Detail-42" not in dumped and "ada@example.test" not in dumped

    metrics = client.get("/api/v1/metrics", headers=auth(tokens["viewer"])).json()["complaints"]
    assert metrics["received"] == 1 and metrics["answered"] == 1 and metrics["open"] == 0
    assert metrics["by_about"]["processing"] == 1 and metrics["answered_late"] == 0


def test_api_complaint_about_a_request_names_jams_in_california(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    frozen_clock: Clock,
) -> None:
    res = client.post(
        "/api/v1/requests",
        json={"type": "access", "email": "cal@example.test", "country": "US", "region": "CA"},
    )
    assert res.status_code == 201, res.text
    request_id = res.json()["id"]
    res = client.post(
        "/api/v1/complaints",
        json={
            "about": "request",
            "request": request_id,
            "email": "cal@example.test",
            "text": "Nobody answered my request.",
        },
    )
    assert res.status_code == 201, res.text
    body = res.json()
    # The request's jurisdiction (ccpa); its complaint deadline is data: 45 days here.
    assert body["due_on"] == "2026-04-16"
    complaint = db_session.get(Complaint, body["id"])
    assert complaint is not None and complaint.request_id == request_id
    assert complaint.jurisdiction == "ccpa"
    ack = Mailbox.text(smtp_server.mailbox.to("cal@example.test")[-1])
    assert body["reference"] in ack

    res = client.post(
        f"/api/v1/complaints/{body['reference']}/answer",
        json={"text": "We answered your request today."},
        headers=auth(tokens["privacy_officer"]),
    )
    assert res.status_code == 200, res.text
    letter = Mailbox.text(smtp_server.mailbox.to("cal@example.test")[-1])
    assert "California Privacy Protection Agency" in letter
    assert "JAMS Data Privacy Framework dispute resolution" in letter
    assert "https://www.jamsadr.com/dpf-dispute-resolution" in letter
    # Answered twice: refused, no second letter.
    sent = len(smtp_server.mailbox.to("cal@example.test"))
    res = client.post(
        f"/api/v1/complaints/{body['id']}/answer",
        json={"text": "again"},
        headers=auth(tokens["privacy_officer"]),
    )
    assert res.status_code == 409
    assert len(smtp_server.mailbox.to("cal@example.test")) == sent


def test_german_letters(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, tokens: dict[str, str]
) -> None:
    res = client.post(
        "/api/v1/complaints",
        json={
            "about": "general",
            "email": "bea@example.test",
            "text": "Zu viel Werbung.",
            "language": "de",
            "country": "DE",
        },
    )
    assert res.status_code == 201, res.text
    ack = smtp_server.mailbox.to("bea@example.test")[-1]
    assert "Beschwerde" in str(ack["Subject"])
    res = client.post(
        f"/api/v1/complaints/{res.json()['id']}/answer",
        json={"text": "Wir haben die Werbung eingestellt."},
        headers=auth(tokens["privacy_officer"]),
    )
    assert res.status_code == 200
    letter = Mailbox.text(smtp_server.mailbox.to("bea@example.test")[-1])
    assert "Aufsichtsbehörde" in letter and "Berliner Beauftragte" in letter


def test_overdue_shows_in_metrics(
    client: TestClient, datamap: DataMapVersion, tokens: dict[str, str], frozen_clock: Clock
) -> None:
    res = client.post(
        "/api/v1/complaints",
        json={"about": "general", "email": "late@example.test", "text": "Hello?"},
    )
    assert res.status_code == 201
    frozen_clock.set(EPOCH.replace(month=5))
    metrics = client.get("/api/v1/metrics", headers=auth(tokens["viewer"])).json()["complaints"]
    assert metrics["open"] == 1 and metrics["overdue"] == 1
    listed = client.get("/api/v1/complaints", headers=auth(tokens["viewer"])).json()
    assert listed["items"][0]["overdue"] is True
