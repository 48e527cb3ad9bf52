"""Authorized agents: the person confirms, the written permission is attached, letters go to the
person with copies to the agent, and what the agent typed reaches mail only as a safe quote."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.audit import repository as audit_repository
from ombud.config import Settings
from ombud.db import _run_after_commit
from ombud.dsr import agents, letters, records, service
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import code_from, commit
from tests.dsr.demo import PERMISSION_PDF
from tests.fixtures.api import Clock, auth
from tests.fixtures.smtp import Mailbox, SmtpServer

PERSON = "pat@example.test"
AGENT = "agent@helpers.test"
HOSTILE_NAME = 'Helpers <a href="https://evil.example/login">click here</a> www.phish.example'


def _submit(client: TestClient, **agent: str) -> str:
    body = {
        "type": "access",
        "email": PERSON,
        "country": "US-CA",
        "details": "Urgent! Log in at https://phish.example/reset to keep your account.",
        "agent": {"name": "Rights Helpers LLC", "contact": AGENT, **agent},
    }
    res = client.post("/api/v1/requests", json=body)
    assert res.status_code == 201, res.text
    rid: str = res.json()["id"]
    return rid


def _confirm(client: TestClient, smtp: SmtpServer, rid: str) -> dict[str, Any]:
    code = code_from(smtp.mailbox, PERSON)
    res = client.post(f"/api/v1/requests/{rid}/verify", json={"code": code})
    assert res.status_code == 200, res.text
    out: dict[str, Any] = res.json()
    return out


def _attach(client: TestClient, rid: str, token: str, data: bytes = PERMISSION_PDF) -> Any:
    return client.post(
        f"/api/v1/requests/{rid}/agent-permission",
        headers=auth(token),
        files={"document": ("../../etc/passwd.pdf", data, "application/pdf")},
        data={"description": "signed by the person, received from the agent by email"},
    )


def test_request_waits_for_the_person_and_the_permission(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    settings: Settings,
) -> None:
    officer = tokens["privacy_officer"]
    rid = _submit(client)
    # The code goes to the person, never to the agent.
    assert smtp_server.mailbox.to(AGENT) == []
    assert _confirm(client, smtp_server, rid)["status"] == "awaiting_authorization"
    approve = client.post(f"/api/v1/requests/{rid}/approve", headers=auth(officer), json={})
    assert approve.status_code == 409 and "awaiting_authorization" in approve.json()["error"]

    assert _attach(client, rid, tokens["viewer"]).status_code == 403
    not_pdf = _attach(client, rid, officer, data=b"<html>signed</html>")
    assert not_pdf.status_code == 422 and "PDF, PNG or JPEG" in not_pdf.json()["error"]
    res = _attach(client, rid, officer)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["status"] == "verified"
    assert body["agent_permission"]["recorded_by"] == "privacy_officer@staff.test"
    assert body["agent_permission"]["content_type"] == "application/pdf"
    assert _attach(client, rid, officer).status_code == 409

    (kept,) = list((settings.data_dir / agents.FOLDER).iterdir())
    assert kept.name.startswith(rid) and kept.suffix == ".pdf"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert kept.read_bytes() == PERMISSION_PDF
    assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    download = client.get(f"/api/v1/requests/{rid}/agent-permission", headers=auth(officer))
    assert download.status_code == 200 and download.content == PERMISSION_PDF
    assert download.headers["cache-control"] == "no-store"
    assert client.get(
        f"/api/v1/requests/{rid}/agent-permission", headers=auth(tokens["viewer"])
    ).status_code == (403)
    actions = [
        e.action
        for e in audit_repository.for_subject(
            db_session, subject_type="privacy_request", subject_id=rid
        )
    ]
    assert "request.agent_permission_attached" in actions
    assert "request.agent_permission_viewed" in actions
    approve = client.post(f"/api/v1/requests/{rid}/approve", headers=auth(officer), json={})
    assert approve.status_code == 200 and approve.json()["status"] == "approved"


def test_permission_first_then_the_persons_code_verifies(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, tokens: dict[str, str]
) -> None:
    rid = _submit(client)
    res = _attach(client, rid, tokens["privacy_officer"])
    assert res.status_code == 200 and res.json()["status"] == "awaiting_verification"
    assert _confirm(client, smtp_server, rid)["status"] == "verified"


def test_request_without_agent_needs_no_permission(
    client: TestClient, datamap: DataMapVersion, tokens: dict[str, str]
) -> None:
    res = client.post("/api/v1/requests", json={"type": "access", "email": PERSON})
    rid = res.json()["id"]
    attached = _attach(client, rid, tokens["privacy_officer"])
    assert attached.status_code == 409 and "not made by an agent" in attached.json()["error"]


def test_proof_received_still_waits_for_the_permission(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
) -> None:
    rid = _submit(client)
    service.request_proof(db_session, rid, actor="dpo", message="a copy of your ID card")
    row = service.proof_received(db_session, rid, actor="dpo")
    assert row.status == "awaiting_authorization"


def test_letters_go_to_the_person_with_copies_to_the_agent(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    rid = _submit(client)
    _confirm(client, smtp_server, rid)
    # Before the permission is attached the agent is not authorized: no copy yet.
    assert smtp_server.mailbox.to(AGENT) == []
    _attach(client, rid, tokens["privacy_officer"])
    service.approve(db_session, rid, actor="dpo")
    service.start_execution(db_session, rid, actor="x")
    link = "http://testserver/privacy/exports/secret-token"
    service.complete_execution(db_session, rid, actor="x", result={"download_url": link})
    commit(db_session)  # letters leave after the commit
    (to_person,) = [m for m in smtp_server.mailbox.to(PERSON) if "complete" in str(m["Subject"])]
    assert link in Mailbox.text(to_person)
    (copy,) = smtp_server.mailbox.to(AGENT)
    text = Mailbox.text(copy)
    assert str(copy["Subject"]).startswith("Copy: ")
    assert link not in text and "secret-token" not in text
    assert letters.WITHHELD in text and rid in text
    kinds = [m.kind for m in service.messages(db_session, rid)]
    assert "completion_agent_copy" in kinds


def test_agent_with_a_phone_contact_gets_no_mail(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    rid = _submit(client, contact="+1 415 555 0100")
    _confirm(client, smtp_server, rid)
    _attach(client, rid, tokens["privacy_officer"])
    service.deny(db_session, rid, actor="dpo", reason="the permission is not signed")
    commit(db_session)  # letters leave after the commit
    # Staff hear that the request was verified (``ombud.notify``); the agent hears nothing.
    to = [m["To"] for m in smtp_server.mailbox.messages]
    assert [t for t in to if not t.endswith("@staff.test")] == [PERSON] * 3


def test_hostile_agent_text_reaches_mail_only_as_a_plain_quote(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    rid = _submit(client, name=HOSTILE_NAME, contact=f"{AGENT} javascript:alert(1)")
    text = Mailbox.text(smtp_server.mailbox.to(PERSON)[0])
    for bad in ("<a", "href", "https://evil", "www.phish", "javascript:", "evil.example"):
        assert bad not in text, bad
    assert '"Helpers click here [link removed] (agent@helpers[.]test [link removed]"' in text
    # The free-text details never reach a letter.
    _confirm(client, smtp_server, rid)
    _attach(client, rid, tokens["privacy_officer"])
    service.extend(db_session, rid, actor="dpo", reason="many systems to search")
    db_session.commit()
    for message in smtp_server.mailbox.messages:
        assert "phish" not in Mailbox.text(message)


def test_quote_is_plain_short_and_link_free() -> None:
    quoted = letters.plain_quote("x" * 500 + " http://a.example")
    assert len(quoted) == letters.QUOTE_LIMIT + 2 and quoted.endswith('…"')
    assert letters.plain_quote('a\u202eb\x00c "d"\n<script>e</script>') == "\"a b c 'd' e\""
    assert letters.plain_quote("see evil.example/x or mailto:a@b.example") == (
        '"see evil[.]example/x or [link removed]"'
    )


def test_purge_deletes_the_permission_document(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    rid = _submit(client)
    _attach(client, rid, tokens["privacy_officer"])
    service.cancel(db_session, rid, actor="dpo", reason="withdrawn by the person")
    folder: Path = settings.data_dir / agents.FOLDER
    assert len(list(folder.iterdir())) == 1
    frozen_clock.advance(days=31 * (records.KEEP_MONTHS + 1))
    assert records.purge(db_session) >= 1
    row = service.get(db_session, rid)
    assert row.agent_permission is None and row.identity_hints == [] and row.agent is None
    db_session.commit()
    _run_after_commit(db_session)
    assert list(folder.iterdir()) == []


def test_agent_cannot_give_their_own_address_as_the_persons(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    body = {
        "type": "access",
        "email": AGENT,
        "agent": {"name": "Me", "contact": "Agent@Helpers.test"},
    }
    res = client.post("/api/v1/requests", json=body)
    assert res.status_code == 422 and "same as the person's email" in res.text
    form = {
        "type": "access",
        "email": AGENT,
        "on_behalf": "1",
        "agent_name": "Me",
        "agent_contact": AGENT,
    }
    page = client.post("/privacy/request", data=form)
    assert page.status_code == 422 and 'id="agent_contact-error"' in page.text
    assert smtp_server.mailbox.messages == []
