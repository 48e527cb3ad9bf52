"""People (consent and requests of one identity; recording a decision) and Audit pages."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import service as consent
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.models.consent import ConsentRecord
from tests.consent.conftest import DATAMAP_FILE as CONSENT_MAP
from tests.console.conftest import SignedIn, add_request


def _consent_map(session: Session) -> None:
    datamap_service.apply_map(session, datamap=load_datamap(CONSENT_MAP), files={}, author="test")
    session.commit()


def test_people_shows_consent_history_receipts_and_requests(
    signed_in: SignedIn, db_session: Session, settings: Settings
) -> None:
    _consent_map(db_session)
    first = consent.record_decision(
        db_session, email="ana@example.com", purpose="newsletter", decision="granted",
        method="web_form", settings=settings,
    )  # fmt: skip
    consent.record_decision(
        db_session, email="ana@example.com", purpose="newsletter", decision="withdrawn",
        method="email_link", settings=settings,
    )  # fmt: skip
    request = add_request(db_session, email="ana@example.com")
    add_request(db_session, email="someone-else@example.com")
    viewer, csrf = signed_in("viewer")
    assert viewer.get("/staff/people").status_code == 200
    res = viewer.post(
        "/staff/people/lookup",
        data={"csrf_token": csrf, "kind": "email", "value": "Ana@Example.com"},
    )
    assert res.status_code == 200
    assert first.receipt_id in res.text and "withdrawn" in res.text
    assert f"/staff/requests/{request.id}" in res.text
    assert "someone-else" not in res.text
    assert "Record a decision" not in res.text  # a viewer records nothing

    bad = viewer.post("/staff/people/lookup", data={"csrf_token": csrf, "kind": "x", "value": "y"})
    assert bad.status_code == 422 and "look up by one of" in bad.text


def test_officer_records_a_decision_with_evidence(
    signed_in: SignedIn, db_session: Session, settings: Settings
) -> None:
    _consent_map(db_session)
    officer, csrf = signed_in("privacy_officer")
    form = {"csrf_token": csrf, "kind": "device_id", "value": "dev-123", "purpose": "newsletter",
            "decision": "granted", "method": "import", "evidence": "paper form #42"}  # fmt: skip
    res = officer.post("/staff/people/consent", data=form)
    assert res.status_code == 200 and "Recorded; receipt" in res.text
    subject = consent.subject_of(consent.SubjectRef(device_id="dev-123"), settings)
    records: list[ConsentRecord] = consent.history(db_session, subject=subject)
    assert [(r.decision, r.actor) for r in records] == [("granted", "privacy_officer@console.test")]
    assert records[0].evidence == {
        "recorded_by": "privacy_officer@console.test",
        "evidence": "paper form #42",
    }
    unknown = officer.post("/staff/people/consent", data={**form, "purpose": "nope"})
    assert unknown.status_code == 422 and "nope" in unknown.text
    empty = officer.post("/staff/people/consent", data={**form, "evidence": " "})
    assert empty.status_code == 422 and "what proves the decision" in empty.text
    assert len(consent.history(db_session, subject=subject)) == 1


def test_audit_search_verify_and_export(signed_in: SignedIn, db_session: Session) -> None:
    officer, csrf = signed_in("privacy_officer")
    request = add_request(db_session, email="bo@example.test")
    res = officer.post(
        f"/staff/requests/{request.id}/notes",
        data={"csrf_token": csrf, "text": "called back"},
        follow_redirects=False,
    )
    assert res.status_code == 303
    viewer, _ = signed_in("viewer")
    page = viewer.get("/staff/audit", params={"subject": request.id})
    assert page.status_code == 200 and "request.note_added" in page.text
    assert "1 entry, newest first" in page.text  # only this request's entry
    other = viewer.get("/staff/audit", params={"action": "request.note"}).text
    assert "request.note_added" in other
    verified = viewer.get("/staff/audit/verify")
    assert "The chain is intact" in verified.text
    export = viewer.get("/staff/audit/export", params={"subject": request.id})
    assert export.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in export.text.splitlines()]
    assert [e["action"] for e in lines] == ["request.note_added"]
    assert {"seq", "hash", "prev_hash", "actor"} <= set(lines[0])
