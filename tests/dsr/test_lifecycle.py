"""End to end: web form, emailed code, staff decisions, execution hooks, letters kept."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.audit import repository as audit_repository
from ombud.dsr import service
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import code_from
from tests.fixtures.api import auth
from tests.fixtures.smtp import Mailbox, SmtpServer

FORM = {
    "type": "erasure",
    "email": "grace@example.test",
    "country": "DE",
    "details": "Please delete my account.",
}


def _submit_form(client: TestClient, **extra: str) -> str:
    res = client.post("/privacy/request", data={**FORM, **extra}, follow_redirects=False)
    assert res.status_code == 303, res.text
    location = res.headers["location"]
    assert location.startswith("/privacy/request/") and location.endswith("/verify")
    return location.split("/")[3]


def test_form_has_a_label_for_every_input(client: TestClient, datamap: DataMapVersion) -> None:
    html = client.get("/privacy/request").text
    import re

    ids = re.findall(r'<(?:input|select|textarea)[^>]* id="([^"]+)"', html)
    assert {"type", "email", "phone", "account_id", "country"} <= set(ids)
    for field_id in ids:
        assert f'<label for="{field_id}"' in html, field_id
    assert "<script" not in html
    assert "Acme Widgets GmbH" in html


def test_web_form_to_completion(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    rid = _submit_form(client)
    mails = smtp_server.mailbox.to("grace@example.test")
    assert len(mails) == 1 and "Confirm your privacy request" in str(mails[0]["Subject"])
    code = code_from(smtp_server.mailbox, "grace@example.test")
    assert f"/privacy/request/{rid}/verify#code={code}" in Mailbox.text(mails[0])

    # The emailed link's fragment never reaches the server; the page's script fills the form.
    page = client.get(f"/privacy/request/{rid}/verify")
    assert page.status_code == 200 and '<script src="/static/dsr/verify.js"' in page.text
    # Links of the old form (?code=) still fill it in on the server.
    page = client.get(f"/privacy/request/{rid}/verify", params={"code": code})
    assert page.status_code == 200 and f'value="{code}"' in page.text
    done = client.post(f"/privacy/request/{rid}/verify", data={"code": code})
    assert done.status_code == 200 and "Request confirmed" in done.text

    officer = auth(tokens["privacy_officer"])
    detail = client.get(f"/api/v1/requests/{rid}", headers=auth(tokens["viewer"])).json()
    assert detail["status"] == "verified" and detail["jurisdiction"] == "gdpr"
    res = client.post(f"/api/v1/requests/{rid}/approve", headers=officer, json={"note": "ok"})
    assert res.status_code == 200 and res.json()["status"] == "approved"

    service.start_execution(db_session, rid, actor="execution")
    service.complete_execution(
        db_session,
        rid,
        actor="execution",
        result={
            "kept": [{"collection": "billing.invoices", "reason": "kept 10 years for tax law"}]
        },
    )
    db_session.commit()

    detail = client.get(f"/api/v1/requests/{rid}", headers=officer).json()
    assert detail["status"] == "completed" and detail["closed_at"]
    kinds = [m["kind"] for m in detail["messages"]]
    assert kinds == ["verification", "acknowledgement", "completion"]
    assert [n["text"] for n in detail["notes"]] == ["ok"]
    completion = Mailbox.text(smtp_server.mailbox.to("grace@example.test")[-1])
    assert "- Invoices.\r\n  Why: kept 10 years for tax law" in completion
    assert "privacy@acme.example" in completion

    actions = [
        e.action
        for e in audit_repository.for_subject(
            db_session, subject_type="privacy_request", subject_id=rid
        )
    ]
    assert actions.count("request.status_changed") == 5
    assert "request.received" in actions and actions.count("request.message_sent") == 3
    for entry in audit_repository.for_subject(
        db_session, subject_type="privacy_request", subject_id=rid
    ):
        assert code not in str(entry.data) and "grace@example.test" not in str(entry.data)


def test_agent_request_still_needs_the_persons_code(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, tokens: dict[str, str]
) -> None:
    rid = _submit_form(
        client, on_behalf="1", agent_name="Rights Helpers LLC", agent_contact="agent@helpers.test"
    )
    assert smtp_server.mailbox.to("agent@helpers.test") == []
    text = Mailbox.text(smtp_server.mailbox.to("grace@example.test")[0])
    assert "Rights Helpers LLC" in text and "authorized agent" in text
    detail = client.get(f"/api/v1/requests/{rid}", headers=auth(tokens["viewer"])).json()
    assert detail["agent"] == {"name": "Rights Helpers LLC", "contact": "agent@helpers.test"}
    assert detail["status"] == "awaiting_verification"
    code = code_from(smtp_server.mailbox, "grace@example.test")
    res = client.post(f"/api/v1/requests/{rid}/verify", json={"code": code})
    # Confirmed by the person, but the agent's written permission is still missing.
    assert res.status_code == 200 and res.json()["status"] == "awaiting_authorization"


def test_agent_without_name_shows_error_next_to_field(
    client: TestClient, datamap: DataMapVersion
) -> None:
    res = client.post(
        "/privacy/request", data={**FORM, "on_behalf": "1", "agent_contact": "x@y.test"}
    )
    assert res.status_code == 422
    assert 'id="agent_name-error"' in res.text
    assert 'value="x@y.test"' in res.text and "Please delete my account." in res.text


def test_denial_letter_names_authority_and_remedies(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, tokens: dict[str, str]
) -> None:
    rid = _submit_form(client)
    code = code_from(smtp_server.mailbox, "grace@example.test")
    client.post(f"/api/v1/requests/{rid}/verify", json={"code": code})
    officer = auth(tokens["privacy_officer"])
    missing = client.post(f"/api/v1/requests/{rid}/deny", headers=officer, json={})
    assert missing.status_code == 422 and "reason" in missing.json()["error"]
    res = client.post(
        f"/api/v1/requests/{rid}/deny",
        headers=officer,
        json={"reason": "We must keep the contract data until the dispute is settled."},
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["status"] == "denied" and body["messages"][-1]["kind"] == "denial"
    letter = Mailbox.text(smtp_server.mailbox.to("grace@example.test")[-1])
    assert "until the dispute is settled" in letter
    assert "Berliner Beauftragte für Datenschutz" in letter
    assert "lodge a complaint" in letter and "judicial remedy" in letter
    again = client.post(f"/api/v1/requests/{rid}/approve", headers=officer)
    assert again.status_code == 409 and "denied" in again.json()["error"]


def test_viewer_cannot_act(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, tokens: dict[str, str]
) -> None:
    rid = _submit_form(client)
    res = client.post(f"/api/v1/requests/{rid}/approve", headers=auth(tokens["viewer"]))
    assert res.status_code == 403
    assert client.get("/api/v1/requests").status_code == 401
