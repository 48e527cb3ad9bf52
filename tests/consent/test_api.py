"""Staff API: record one or many decisions, state, history, bulk check, receipts, roles."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.models.datamap import DataMapVersion
from tests.consent.conftest import counts
from tests.fixtures.api import auth

API = "/api/v1/consent"


def _decide(client: TestClient, token: str, **body: object) -> dict[str, object]:
    res = client.post(f"{API}/decisions", json=body, headers=auth(token))
    assert res.status_code == 201, res.text
    data: dict[str, object] = res.json()
    return data


def test_record_state_history_and_receipt(
    client: TestClient, tokens: dict[str, str], datamap: DataMapVersion
) -> None:
    officer, viewer = tokens["privacy_officer"], tokens["viewer"]
    first = _decide(
        client,
        officer,
        email="ana@example.com",
        purpose="marketing.advertising",
        decision="granted",
        method="banner",
        ip="2001:db8:1:2::9",
    )
    _decide(
        client,
        officer,
        email="ana@example.com",
        purpose="marketing.advertising",
        decision="withdrawn",
        method="api",
    )
    assert first["ip"] == "2001:db8:1::/48"
    state = client.post(
        f"{API}/subjects/state", json={"email": "ANA@example.com"}, headers=auth(viewer)
    ).json()["items"]
    assert [(s["purpose"], s["decision"], s["method"]) for s in state] == [
        ("marketing.advertising", "withdrawn", "api")
    ]
    history = client.post(
        f"{API}/subjects/history", json={"email": "ana@example.com"}, headers=auth(viewer)
    ).json()["items"]
    assert [h["decision"] for h in history] == ["granted", "withdrawn"]
    assert history[0]["actor"].startswith("token:test:")

    receipt = client.get(f"{API}/receipts/{first['receipt_id']}", headers=auth(viewer)).json()
    assert receipt["consentReceiptID"] == first["receipt_id"]
    assert receipt["collectionMethod"] == "banner"
    assert receipt["piiControllers"][0]["piiController"] == "Acme Shop GmbH"
    assert receipt["services"][0]["purposes"][0]["thirdPartyDisclosure"] is True
    assert (
        receipt["notice"]["sha256"]
        == hashlib.sha256(receipt["notice"]["text"].encode()).hexdigest()
        == first["notice_hash"]
    )
    # The person's copy: readable HTML showing the notice hash, and the same JSON.
    url = receipt["receiptUrl"].removeprefix("http://testserver")
    page = client.get(url)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert str(first["notice_hash"]) in page.text and "<strong>Given</strong>" in page.text
    assert (
        client.get(url, params={"format": "json"}).json()["consentReceiptID"] == first["receipt_id"]
    )


def test_bulk_record_and_check(
    client: TestClient, tokens: dict[str, str], datamap: DataMapVersion
) -> None:
    decisions = [
        {
            "email": f"u{i}@example.com",
            "purpose": "newsletter",
            "decision": "granted" if i % 3 else "refused",
            "method": "import",
        }
        for i in range(30)
    ]
    res = client.post(
        f"{API}/decisions/bulk",
        json={"decisions": decisions},
        headers=auth(tokens["privacy_officer"]),
    )
    assert res.status_code == 201, res.text
    assert res.json()["count"] == 30
    check = client.post(
        f"{API}/check",
        json={"purpose": "newsletter", "identities": [f"u{i}@example.com" for i in range(35)]},
        headers=auth(tokens["viewer"]),
    ).json()
    assert check["checked"] == 35
    assert check["contactable"] == [f"u{i}@example.com" for i in range(30) if i % 3]
    assert check["not_contactable"] == 35 - 20


def test_bad_bulk_item_writes_nothing(
    client: TestClient, tokens: dict[str, str], datamap: DataMapVersion, db_session: Session
) -> None:
    good = {"email": "g@example.com", "purpose": "newsletter", "decision": "granted"}
    _decide(client, tokens["privacy_officer"], **good)
    before = counts(db_session)
    bad = [good, {"email": "h@example.com", "purpose": "no_such_purpose", "decision": "granted"}]
    res = client.post(
        f"{API}/decisions/bulk", json={"decisions": bad}, headers=auth(tokens["privacy_officer"])
    )
    assert res.status_code == 422
    assert res.json()["error"].startswith("decisions[1].purpose: 'no_such_purpose'")
    assert counts(db_session) == before


def test_bad_single_inputs_get_clear_4xx(
    client: TestClient, tokens: dict[str, str], datamap: DataMapVersion, db_session: Session
) -> None:
    officer = auth(tokens["privacy_officer"])
    client.get(f"{API}/purposes", headers=officer)  # creates the notice rows up front
    before = counts(db_session)
    cases = [
        ({"email": "x@example.com", "purpose": "newsletter", "decision": "perhaps"}, "decision"),
        ({"purpose": "newsletter", "decision": "granted"}, "exactly one of"),
        (
            {
                "email": "x@example.com",
                "device_id": "d1",
                "purpose": "newsletter",
                "decision": "granted",
            },
            "exactly one of",
        ),
        ({"email": "x@", "purpose": "newsletter", "decision": "granted"}, "email: 'x@'"),
        (
            {
                "email": "x@example.com",
                "purpose": "newsletter",
                "decision": "granted",
                "ip": "999.1.1.1",
            },
            "ip: '999.1.1.1'",
        ),
    ]
    for body, message in cases:
        res = client.post(f"{API}/decisions", json=body, headers=officer)
        assert res.status_code == 422, (body, res.text)
        assert message in res.json()["error"], res.json()
    check = client.post(
        f"{API}/check", json={"purpose": "nope", "identities": ["a@b.c"]}, headers=officer
    )
    assert check.status_code == 422 and "purpose: 'nope'" in check.json()["error"]
    assert counts(db_session) == before


def test_roles_and_tokens(
    client: TestClient, tokens: dict[str, str], datamap: DataMapVersion
) -> None:
    body = {"email": "r@example.com", "purpose": "newsletter", "decision": "granted"}
    assert client.post(f"{API}/decisions", json=body).status_code == 401
    res = client.post(f"{API}/decisions", json=body, headers=auth(tokens["viewer"]))
    assert res.status_code == 403
    purposes = client.get(f"{API}/purposes", headers=auth(tokens["viewer"])).json()["items"]
    keys = {p["key"]: p for p in purposes}
    assert set(keys) == {
        "marketing.advertising",
        "analytics.reporting",
        "newsletter",
        "product_alerts",
        "privacy_statement_updates",
    }
    assert keys["marketing.advertising"]["gpc_applies"] is True
    assert keys["newsletter"]["double_opt_in"] is True


def test_unsubscribe_headers_need_privacy_officer(
    client: TestClient, tokens: dict[str, str], datamap: DataMapVersion
) -> None:
    body = {"email": "ana@example.com", "purpose": "newsletter"}
    res = client.post(f"{API}/unsubscribe-headers", json=body, headers=auth(tokens["viewer"]))
    assert res.status_code == 403, res.text
    res = client.post(
        f"{API}/unsubscribe-headers", json=body, headers=auth(tokens["privacy_officer"])
    )
    assert res.status_code == 200, res.text
    assert "List-Unsubscribe" in res.json()
