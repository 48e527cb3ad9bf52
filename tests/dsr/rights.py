"""Helpers of the rights tests: the demo company with CCPA markings, ledger state, letters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from ombud.datamap import service as datamap_service
from ombud.db import unit_of_work
from tests.dsr.demo import DemoSystem

# Added to the demo's data map: a sale, a sensitive use and direct marketing on legitimate
# interests, so that every right has something to act on.
CCPA_SYSTEMS = """
system:
  - fides_key: partner_offers
    name: Partner offers
    description: Contact data sold to partners who mail their offers.
    system_type: Service
    privacy_declarations:
      - name: Sell contact data to partners
        data_use: third_party_sharing
        data_categories: [user.contact.email, user.name]
        data_subjects: [customer]
        legal_basis: consent
        retention: marketing_contacts
        recipients: [postmark]
        source: provided
      - name: Personalise offers by health interests
        data_use: personalize.content.profiled
        data_categories: [user.biometric.health]
        data_subjects: [customer]
        legal_basis: consent
        sensitive_use: true
        retention: marketing_contacts
        recipients: [postmark]
        source: provided
      - name: Show customers offers for our own plans
        data_use: marketing.advertising.first_party.contextual
        data_categories: [user.account.settings]
        data_subjects: [customer]
        legal_basis: legitimate_interests
        legitimate_interest: Telling our customers about plans that may suit them better.
        retention: account_data
        recipients: [hetzner]
        source: automatic
"""


def add_ccpa_markings(demo: DemoSystem, tmp_path: Path) -> None:
    """Apply the demo's data map again with ``CCPA_SYSTEMS`` added."""
    folder = tmp_path / "demo" / "datamap"
    (folder / "partner_offers.yaml").write_text(CCPA_SYSTEMS, encoding="utf-8")
    with unit_of_work(demo.store) as session:
        datamap_service.apply(session, path=folder, author="test")


def customer_with_devices(demo: DemoSystem) -> tuple[int, str, list[str]]:
    """An account with page views: its id, email and the device ids seen with it."""
    with demo.app_db.connect() as conn:
        row = conn.execute(
            text(
                "SELECT a.id, a.email FROM accounts a WHERE EXISTS (SELECT 1 FROM "
                "analytics_events e WHERE e.account_id = a.id) ORDER BY a.id LIMIT 1"
            )
        ).one()
        devices = conn.scalars(
            text("SELECT DISTINCT device_id FROM analytics_events WHERE account_id = :a"),
            {"a": row[0]},
        ).all()
    return int(row[0]), str(row[1]), sorted(str(d) for d in devices)


def other_customer(demo: DemoSystem, not_email: str) -> str:
    """Another account's email."""
    with demo.app_db.connect() as conn:
        return str(
            conn.scalar(
                text("SELECT email FROM accounts WHERE email <> :e ORDER BY id LIMIT 1"),
                {"e": not_email},
            )
        )


def grant(demo: DemoSystem, email: str, *purposes: str) -> None:
    """Record the person's consent to ``purposes`` through the consent API."""
    for purpose in purposes:
        body = {"email": email, "purpose": purpose, "decision": "granted", "method": "web_form"}
        res = demo.client.post("/api/v1/consent/decisions", json=body, headers=demo.officer)
        assert res.status_code == 201, res.text


def state(demo: DemoSystem, **subject: str) -> dict[str, tuple[str, str]]:
    """{purpose: (decision, method)} of one subject, through the consent API."""
    res = demo.client.post("/api/v1/consent/subjects/state", json=subject, headers=demo.officer)
    assert res.status_code == 200, res.text
    return {s["purpose"]: (s["decision"], s["method"]) for s in res.json()["items"]}


def history(demo: DemoSystem, email: str) -> list[dict[str, Any]]:
    """Every decision of the email, oldest first."""
    res = demo.client.post(
        "/api/v1/consent/subjects/history", json={"email": email}, headers=demo.officer
    )
    assert res.status_code == 200, res.text
    items: list[dict[str, Any]] = res.json()["items"]
    return items


def check(demo: DemoSystem, purpose: str, *emails: str) -> dict[str, Any]:
    """The bulk check of ``emails`` for ``purpose``."""
    body = {"purpose": purpose, "identities": list(emails)}
    res = demo.client.post("/api/v1/consent/check", json=body, headers=demo.officer)
    assert res.status_code == 200, res.text
    out: dict[str, Any] = res.json()
    return out


def detail(demo: DemoSystem, rid: str) -> dict[str, Any]:
    """The request as staff see it."""
    res = demo.client.get(f"/api/v1/requests/{rid}", headers=demo.officer)
    assert res.status_code == 200, res.text
    out: dict[str, Any] = res.json()
    return out


def letter(demo: DemoSystem, rid: str, kind: str = "completion") -> str:
    """The body of the request's newest letter of ``kind``."""
    bodies = [m["body"] for m in detail(demo, rid)["messages"] if m["kind"] == kind]
    assert bodies, f"no {kind} letter for request {rid}"
    return str(bodies[-1])


def submit(demo: DemoSystem, **body: Any) -> dict[str, Any]:
    """POST a request; assert it was received."""
    res = demo.client.post("/api/v1/requests", json=body)
    assert res.status_code == 201, res.text
    out: dict[str, Any] = res.json()
    if out["status"] == "in_progress":
        # Carried out at once, waiting only for the demo's manual systems: their owners answer.
        demo.answer_tasks(out["id"])
        out["status"] = demo.request(out["id"]).status
    return out


def request_count(demo: DemoSystem) -> int:
    """How many requests the store holds."""
    with demo.store.connect() as conn:
        return int(conn.scalar(text("SELECT COUNT(*) FROM privacy_requests")) or 0)
