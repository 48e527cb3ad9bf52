"""Objection, restriction and the staff actions (decide, lift, done by hand, reopen) run to
``completed`` through the API on the demo company, with the ledger, the flag columns and the
letters showing what was done."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import text

from ombud.clock import utcnow
from ombud.consent import ledger
from ombud.consent import service as consent_service
from ombud.datamap import service as datamap_service
from ombud.db import unit_of_work
from ombud.models.requests import PrivacyRequest
from ombud.retention import service as retention
from tests.dsr.demo import DemoSystem, demo_system
from tests.dsr.rights import (
    add_ccpa_markings,
    check,
    detail,
    grant,
    letter,
    other_customer,
    state,
    submit,
)

__all__ = ["demo_system"]
FRAUD = "essential.fraud_detection"
SECURITY = "essential.service.security"
OWN_OFFERS = "marketing.advertising.first_party.contextual"


def test_objection_to_direct_marketing_completes_at_once(
    demo_system: DemoSystem, tmp_path: Path
) -> None:
    demo = demo_system
    add_ccpa_markings(demo, tmp_path)
    email = demo.victim().email
    other = other_customer(demo, email)
    grant(demo, email, "newsletter")
    grant(demo, other, "newsletter")
    receipt = submit(
        demo,
        type="objection",
        email=email,
        jurisdiction="gdpr",
        purposes=[OWN_OFFERS, "newsletter"],
    )
    demo.verify(receipt["id"], email)

    assert demo.request(receipt["id"]).status == "completed"
    assert check(demo, OWN_OFFERS, email, other)["contactable"] == [other]
    assert check(demo, "newsletter", email, other)["contactable"] == [other]
    assert state(demo, email=email)["newsletter"] == ("withdrawn", "request")
    with unit_of_work(demo.store) as session:
        listed = list(consent_service.suppressed(session, purpose=OWN_OFFERS))
    assert listed == [(None, ledger.subject_hash("email", email), "objected")]
    body = letter(demo, receipt["id"])
    assert "We accept your objection" in body
    assert "Show customers offers for our own plans (direct marketing)" in body
    assert "continue to process" not in body


def test_other_objections_wait_for_staff_who_decide_per_purpose(
    demo_system: DemoSystem,
) -> None:
    demo = demo_system
    email = demo.victim().email
    other = other_customer(demo, email)
    receipt = submit(
        demo, type="objection", email=email, jurisdiction="gdpr", purposes=[FRAUD, SECURITY]
    )
    rid = receipt["id"]
    demo.verify(rid, email)
    shown = detail(demo, rid)
    assert shown["status"] == "verified"
    assert [p["key"] for p in shown["result"]["rights"]["pending"]] == [FRAUD, SECURITY]
    # Not as a whole: each purpose needs its own decision.
    res = demo.client.post(f"/api/v1/requests/{rid}/approve", headers=demo.officer, json={})
    assert res.status_code == 409 and "purpose by purpose" in res.json()["error"]
    url = f"/api/v1/requests/{rid}/objection"
    bad = [
        ({"decisions": [{"purpose": FRAUD, "uphold": True}]}, "missing: " + SECURITY),
        (
            {
                "decisions": [
                    {"purpose": FRAUD, "uphold": True},
                    {"purpose": SECURITY, "uphold": False},
                ]
            },
            "compelling legitimate grounds",
        ),
        ({"decisions": [{"purpose": "nope", "uphold": True}]}, "not pending: nope"),
    ]
    for body, message in bad:
        res = demo.client.post(url, json=body, headers=demo.officer)
        assert res.status_code == 422 and message in res.json()["error"], res.text
    assert detail(demo, rid)["status"] == "verified"  # nothing lost

    grounds = "Logs of sign-ins protect every customer's mailbox against account takeover."
    res = demo.client.post(
        url,
        json={
            "decisions": [
                {"purpose": FRAUD, "uphold": True},
                {"purpose": SECURITY, "uphold": False, "reason": grounds},
            ]
        },
        headers=demo.officer,
    )
    # Carried out; the demo's manual systems (help desk, mailing service) answer, then it ends.
    assert res.status_code == 200 and res.json()["status"] == "in_progress", res.text
    demo.answer_tasks(rid)
    assert detail(demo, rid)["status"] == "completed"
    assert check(demo, FRAUD, email, other)["contactable"] == [other]
    assert check(demo, SECURITY, email, other)["contactable"] == [email, other]
    body = letter(demo, rid)
    assert "Prevent payment fraud and fake sign-ups" in body
    assert f"Detect attacks, spam and abuse: {grounds}" in body
    again = demo.client.post(url, json=res.json(), headers=demo.officer)
    assert again.status_code == 422  # the body is not a decision list


def _flag(demo: DemoSystem, account_id: int) -> int:
    with demo.app_db.connect() as conn:
        return int(
            conn.scalar(
                text("SELECT processing_restricted FROM accounts WHERE id = :a"), {"a": account_id}
            )
        )


def _held(demo: DemoSystem) -> int:
    with unit_of_work(demo.store) as session:
        datamap = datamap_service.get_current(session)
    (step,) = [
        p
        for p in retention.plan(datamap, rule="account_data", connections={})
        if p.step.collection == "postlicht_app.accounts"
    ]
    assert step.counts is not None
    return step.counts.held.get("restriction", 0)


def test_restriction_sets_the_flag_holds_the_rows_and_is_lifted_after_the_letter(
    demo_system: DemoSystem,
) -> None:
    demo = demo_system
    victim = demo.victim()
    other = other_customer(demo, victim.email)
    with demo.app_db.begin() as conn:  # the account was closed long ago: retention would go
        conn.execute(
            text("UPDATE accounts SET closed_at = :t WHERE id = :a"),
            {"t": datetime(2020, 1, 1), "a": victim.account_id},
        )
    assert _held(demo) == 0
    receipt = submit(demo, type="restriction", email=victim.email, jurisdiction="gdpr")
    rid = receipt["id"]
    demo.verify(rid, victim.email)
    assert demo.request(rid).status == "verified"  # staff approve a restriction
    demo.approve(rid)  # and the owners of the manual systems answer

    shown = detail(demo, rid)
    assert shown["status"] == "completed"
    assert shown["result"]["rights"]["flags"] == {"postlicht_app.accounts": 1}
    assert _flag(demo, victim.account_id) == 1
    assert check(demo, FRAUD, victim.email, other) == {
        "purpose": FRAUD,
        "checked": 2,
        "contactable": [other],
        "not_contactable": 1,
        "restricted": [victim.email],
    }
    assert _held(demo) == 1
    body = letter(demo, rid)
    assert "We have restricted the processing" in body and "before we lift" in body

    lift = f"/api/v1/requests/{rid}/restriction/lift"
    reason = "The accuracy of your data has been verified."
    res = demo.client.post(lift, json={"reason": reason}, headers=demo.officer)
    assert res.status_code == 200, res.text
    kinds = [m["kind"] for m in res.json()["messages"]]
    assert kinds[-1] == "restriction_lift"
    assert reason in letter(demo, rid, "restriction_lift")
    assert _flag(demo, victim.account_id) == 0
    assert check(demo, FRAUD, victim.email)["restricted"] == []
    assert _held(demo) == 0
    again = demo.client.post(lift, json={"reason": reason}, headers=demo.officer)
    assert again.status_code == 409 and "already lifted" in again.json()["error"]


def test_staff_mark_done_by_hand_and_reopen(demo_system: DemoSystem) -> None:
    demo = demo_system
    email = demo.victim().email
    receipt = submit(demo, type="objection", email=email, jurisdiction="gdpr", purposes=[FRAUD])
    rid = receipt["id"]
    demo.verify(rid, email)
    note = "We removed you from the paper fraud-check list our call centre keeps."
    res = demo.client.post(
        f"/api/v1/requests/{rid}/done", json={"note": note}, headers=demo.officer
    )
    assert res.status_code == 200 and res.json()["status"] == "completed", res.text
    assert f"What we did: {note}" in letter(demo, rid)
    res = demo.client.post(
        f"/api/v1/requests/{rid}/done", json={"note": note}, headers=demo.officer
    )
    assert res.status_code == 409

    res = demo.client.post(
        f"/api/v1/requests/{rid}/reopen",
        json={"reason": "the person wrote again"},
        headers=demo.officer,
    )
    assert res.status_code == 200 and res.json()["status"] == "approved", res.text
    assert res.json()["closed_at"] is None
    assert any(n["text"] == "reopened: the person wrote again" for n in res.json()["notes"])
    with demo.store.connect() as conn:
        actions = conn.scalars(
            text("SELECT action FROM audit_entries WHERE subject_id = :r ORDER BY seq"),
            {"r": rid},
        ).all()
    assert "request.done_by_hand" in actions
    res = demo.client.post(
        f"/api/v1/requests/{rid}/reopen", json={"reason": "again"}, headers=demo.officer
    )
    assert res.status_code == 409  # only a completed request can be reopened
    res = demo.client.post(f"/api/v1/requests/{rid}/done", json={"note": "x"}, headers=demo.officer)
    assert res.status_code == 422


def test_an_approved_request_left_from_before_is_completed_by_run(demo_system: DemoSystem) -> None:
    demo = demo_system
    email = demo.victim().email
    grant(demo, email, "newsletter")
    with unit_of_work(demo.store) as session:  # approved and never carried out, as before
        now = utcnow()
        row = PrivacyRequest(
            type="withdraw_consent",
            status="approved",
            jurisdiction="gdpr",
            email=email,
            identities={"email": email},
            received_at=now,
            received_on=now.date(),
        )
        session.add(row)
        session.flush()
        rid = row.id
    res = demo.client.post(f"/api/v1/requests/{rid}/run", headers=demo.officer)
    assert res.status_code == 200 and res.json()["status"] == "in_progress", res.text
    assert res.json()["result"]["rights"]["withdrawn"] == ["newsletter"]
    demo.answer_tasks(rid)  # the mailing service's owner confirms: then it is completed
    assert demo.request(rid).status == "completed"
    assert state(demo, email=email)["newsletter"] == ("withdrawn", "request")
    again = demo.client.post(f"/api/v1/requests/{rid}/run", headers=demo.officer)
    assert again.status_code == 409
