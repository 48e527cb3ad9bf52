"""An attacker who gives a victim's phone and account id with their own email, on every way in
(web form, public API, OpenDSR, as an agent), confirms with their own code and is approved:
the access package holds nothing, and an erasure changes no row of the demo database."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from ombud.audit import repository as audit_repository
from ombud.db import unit_of_work
from ombud.execution.tasks import run_requests
from ombud.models.audit import AuditEntry
from tests.dsr.conftest import code_from
from tests.dsr.demo import ATTACKER, PERMISSION_PDF, DemoSystem, Victim, demo_system
from tests.fixtures.smtp import Mailbox

__all__ = ["demo_system"]

AGENT_PERSON = "person@evil.example"  # a second mailbox the attacker reads


def _form(system: DemoSystem, kind: str, victim: Victim) -> str:
    data = {
        "type": kind,
        "email": ATTACKER,
        "phone": victim.phone,
        "account_id": str(victim.account_id),
        "country": "DE",
    }
    res = system.client.post("/privacy/request", data=data, follow_redirects=False)
    assert res.status_code == 303, res.text
    rid = res.headers["location"].split("/")[3]
    code = code_from(system.smtp.mailbox, ATTACKER)
    page = system.client.post(f"/privacy/request/{rid}/verify", data={"code": code})
    assert page.status_code == 200 and "Request confirmed" in page.text
    return rid


def _api(system: DemoSystem, kind: str, victim: Victim) -> str:
    body = {
        "type": kind,
        "email": ATTACKER,
        "phone": victim.phone,
        "account_id": str(victim.account_id),
        "country": "DE",
    }
    res = system.client.post("/api/v1/requests", json=body)
    assert res.status_code == 201, res.text
    rid: str = res.json()["id"]
    system.verify(rid, ATTACKER)
    return rid


def _opendsr(system: DemoSystem, kind: str, victim: Victim) -> str:
    rid = system.opendsr(
        kind,
        [
            {"identity_type": "email", "identity_value": ATTACKER},
            {"identity_type": "phone_number", "identity_value": victim.phone},
            {"identity_type": "account_id", "identity_value": str(victim.account_id)},
            {"identity_type": "email", "identity_value": victim.email},
        ],
    )
    system.verify(rid, ATTACKER)
    return rid


def _agent(system: DemoSystem, kind: str, victim: Victim) -> str:
    body = {
        "type": kind,
        "email": AGENT_PERSON,
        "phone": victim.phone,
        "account_id": str(victim.account_id),
        "country": "US-CA",
        "agent": {"name": "Helpful Agents", "contact": ATTACKER},
    }
    res = system.client.post("/api/v1/requests", json=body)
    assert res.status_code == 201, res.text
    rid: str = res.json()["id"]
    system.verify(rid, AGENT_PERSON)
    assert system.request(rid).status == "awaiting_authorization"
    # Even a (forged) permission the staff accept does not make the phone a verified identity.
    res = system.client.post(
        f"/api/v1/requests/{rid}/agent-permission",
        headers=system.officer,
        files={"document": ("permission.pdf", PERMISSION_PDF, "application/pdf")},
        data={"description": "signed permission sent by the agent by email"},
    )
    assert res.status_code == 200 and res.json()["status"] == "verified", res.text
    return rid


PATHS: dict[str, Callable[[DemoSystem, str, Victim], str]] = {
    "form": _form,
    "api": _api,
    "opendsr": _opendsr,
    "agent": _agent,
}


@pytest.mark.parametrize("path", list(PATHS))
def test_attacker_gets_nothing_and_erases_nothing(demo_system: DemoSystem, path: str) -> None:
    system = demo_system
    victim = system.victim()
    before = system.snapshot()
    submit = PATHS[path]

    rid = submit(system, "access", victim)
    stored = system.request(rid)
    person = AGENT_PERSON if path == "agent" else ATTACKER
    assert stored.identities == {"email": person}
    assert {h["status"] for h in stored.identity_hints} == {"pending"}
    assert victim.phone in {h["value"] for h in stored.identity_hints}
    system.approve(rid)
    (report,) = run_requests(system.store, [rid], settings=system.settings)
    assert report.status == "completed", report
    result = system.request(rid).result or {}
    rows = {name: info["rows"] for name, info in result["collections"].items()}
    assert rows and set(rows.values()) == {0}, rows
    # Nothing found: no package is stored and no link is sent, only "we hold no personal data".
    assert result["no_data"] is True and "export_id" not in result
    exports = system.settings.data_dir / "exports"
    assert not exports.exists() or not list(exports.iterdir())

    rid = submit(system, "erasure", victim)
    system.approve(rid)
    (report,) = run_requests(system.store, [rid], settings=system.settings)
    assert report.status == "completed", report
    assert system.snapshot() == before
    # Nothing the victim holds was mailed to anyone but the victim.
    for message in system.smtp.mailbox.messages:
        if victim.email not in str(message["To"]):
            assert victim.phone not in Mailbox.text(message)


def test_accepted_hint_reaches_the_persons_data(demo_system: DemoSystem) -> None:
    """The person has a new address; staff check their phone and accept it with proof."""
    system = demo_system
    victim = system.victim()
    new_address = "new-address@home.example"
    res = system.client.post(
        "/api/v1/requests",
        json={"type": "access", "email": new_address, "phone": victim.phone, "country": "DE"},
    )
    assert res.status_code == 201, res.text
    rid = res.json()["id"]
    system.verify(rid, new_address)
    (hint,) = system.request(rid).identity_hints

    leaky = system.client.post(
        f"/api/v1/requests/{rid}/hints/{hint['id']}/accept",
        headers=system.officer,
        json={"reason": f"phone {victim.phone} matches", "proof": "called the number"},
    )
    assert leaky.status_code == 422 and "without writing the phone" in leaky.json()["error"]
    res = system.client.post(
        f"/api/v1/requests/{rid}/hints/{hint['id']}/accept",
        headers=system.officer,
        json={
            "reason": "the person moved to a new email address",
            "proof": "called the number on the account; the person confirmed the request",
        },
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["identities"] == {"email": new_address, "phone": victim.phone}
    assert body["identity_hints"][0]["status"] == "accepted"
    assert body["identity_hints"][0]["decided_by"] == "dpo@postlicht.example"

    system.approve(rid)
    (report,) = run_requests(system.store, [rid], settings=system.settings)
    assert report.status == "completed", report
    result = system.request(rid).result or {}
    rows = {name: info["rows"] for name, info in result["collections"].items()}
    assert rows["postlicht_app.accounts"] == 1 and rows["postlicht_app.invoices"] > 0, rows

    with unit_of_work(system.store) as session:
        entries = audit_repository.for_subject(
            session, subject_type="privacy_request", subject_id=rid
        )
        accepted = [e for e in entries if e.action == "request.identity_hint_accepted"]
        assert len(accepted) == 1
        entry = accepted[0]
        assert entry.actor == "dpo@postlicht.example"
        assert entry.data["reason"] == "the person moved to a new email address"
        assert entry.data["proof"].startswith("called the number")
        assert entry.data["type"] == "phone"
        everything = session.scalars(select(AuditEntry)).all()
        digits = victim.phone.replace("+", "").replace(" ", "")
        for e in everything:
            assert victim.phone not in str(e.data) and digits not in str(e.data)
