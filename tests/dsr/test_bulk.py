"""``POST /api/v1/requests/bulk`` and ``/approve``: many requests per call, per-item results."""

from __future__ import annotations

import os

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.models.audit import AuditEntry
from ombud.models.datamap import DataMapVersion
from ombud.models.requests import PrivacyRequest
from tests.dsr.conftest import code_from
from tests.fixtures.api import auth
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.statements import statements

CHECKED = {"identity_verified": True, "verification_note": "signed letter, ID card seen"}


def _bulk(client: TestClient, token: str, items: list[dict[str, object]]) -> dict[str, object]:
    res = client.post("/api/v1/requests/bulk", json={"items": items}, headers=auth(token))
    assert res.status_code == 200, res.text
    body: dict[str, object] = res.json()
    return body


def test_bulk_intake_records_each_item_and_refuses_bad_ones_by_index(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    body = _bulk(
        client,
        tokens["privacy_officer"],
        [
            {"type": "access", "email": "a@example.test", "country": "DE", **CHECKED},
            {"type": "access", "email": "not an address"},
            {"type": "erasure", "email": "b@example.test", "country": "DE"},
            {"type": "erasure", "email": "c@example.test", "jurisdiction": "atlantis"},
            {"type": "access", "email": "d@example.test", "identity_verified": True},
        ],
    )
    assert body["done"] == 2 and body["refused"] == 3
    items = body["items"]
    assert isinstance(items, list)
    assert [i["index"] for i in items] == [0, 1, 2, 3, 4]
    assert items[0]["status"] == "verified"  # staff checked: no code sent
    assert items[2]["status"] == "awaiting_verification"  # the person confirms by code
    assert items[1]["code"] == "invalid_input" and "item 1: email" in items[1]["error"]
    assert items[3]["id"] is None and "atlantis" in items[3]["error"]
    assert "verification_note" in items[4]["error"]
    rows = {r.email: r for r in db_session.scalars(select(PrivacyRequest))}
    assert set(rows) == {"a@example.test", "b@example.test"}  # refused items left nothing
    assert rows["a@example.test"].source == "staff"
    # a@ got the acknowledgement only, b@ the code.
    subjects = [str(m["Subject"]) for m in smtp_server.mailbox.to("a@example.test")]
    # One acknowledgement: the first try of the batch (rolled back at item 1) sent none.
    assert len(subjects) == 1 and "Confirm" not in subjects[0]
    assert any("Confirm" in str(m["Subject"]) for m in smtp_server.mailbox.to("b@example.test"))
    actions = [
        e.data.get("action")
        for e in db_session.scalars(
            select(AuditEntry).where(AuditEntry.subject_id == rows["a@example.test"].id)
        )
    ]
    assert "verified by staff" in actions


def test_bulk_approve_per_item_and_roles(
    client: TestClient, datamap: DataMapVersion, tokens: dict[str, str]
) -> None:
    made = _bulk(
        client,
        tokens["privacy_officer"],
        [
            {"type": "access", "email": f"p{n}@example.test", "country": "DE", **CHECKED}
            for n in range(3)
        ],
    )
    items = made["items"]
    assert isinstance(items, list)
    ids = [i["id"] for i in items]
    payload = {"ids": [ids[0], "no-such-request", ids[1], ids[0]], "note": "checked"}
    res = client.post("/api/v1/requests/approve", json=payload, headers=auth(tokens["viewer"]))
    assert res.status_code == 403
    res = client.post(
        "/api/v1/requests/approve", json=payload, headers=auth(tokens["privacy_officer"])
    )
    assert res.status_code == 200, res.text
    out = res.json()["items"]
    assert [i["status"] for i in out] == ["approved", None, "approved", None]
    assert out[1]["code"] == "not_found" and "item 1" in out[1]["error"]
    assert out[3]["code"] == "conflict"  # already approved by item 0
    left = client.get(f"/api/v1/requests/{ids[2]}", headers=auth(tokens["viewer"])).json()
    assert left["status"] == "verified"


def test_a_bulk_approval_that_refuses_nothing_takes_one_savepoint(
    client: TestClient, db_session: Session, datamap: DataMapVersion, tokens: dict[str, str]
) -> None:
    made = _bulk(
        client,
        tokens["privacy_officer"],
        [
            {"type": "access", "email": f"q{n}@example.test", "country": "DE", **CHECKED}
            for n in range(4)
        ],
    )
    items = made["items"]
    assert isinstance(items, list) and made["done"] == 4
    with statements(db_session.get_bind(), "SAVEPOINT") as savepoints:
        res = client.post(
            "/api/v1/requests/approve",
            json={"ids": [i["id"] for i in items]},
            headers=auth(tokens["privacy_officer"]),
        )
    assert res.status_code == 200, res.text
    assert [i["status"] for i in res.json()["items"]] == ["approved"] * 4
    # The test store runs each call's session in a savepoint of its own: that one and the
    # batch's, not one per item.
    assert len(savepoints) == 2


def test_bulk_limits_are_clear_4xx(client: TestClient, tokens: dict[str, str]) -> None:
    h = auth(tokens["privacy_officer"])
    assert client.post("/api/v1/requests/bulk", json={"items": []}, headers=h).status_code == 422
    many = {"items": [{"type": "access"}] * 501}
    assert client.post("/api/v1/requests/bulk", json=many, headers=h).status_code == 422
    assert client.post("/api/v1/requests/approve", json={"ids": []}, headers=h).status_code == 422
    anon = client.post("/api/v1/requests/bulk", json={"items": [{"type": "access"}]})
    assert anon.status_code == 401


def _path(client: TestClient, token: str) -> dict[str, dict[str, float]]:
    """The request path's CPU by phase, from ``/api/v1/metrics``."""
    res = client.get("/api/v1/metrics", headers=auth(token))
    assert res.status_code == 200, res.text
    # The figures are the answering process's own, and it says which one it is.
    assert res.json()["process"] == os.getpid()
    out: dict[str, dict[str, float]] = res.json()["request_path"]
    return out


def test_metrics_show_the_cpu_of_intake_and_approval(
    client: TestClient, datamap: DataMapVersion, tokens: dict[str, str]
) -> None:
    before = _path(client, tokens["viewer"])
    made = _bulk(
        client,
        tokens["privacy_officer"],
        [
            {"type": "access", "email": f"m{n}@example.test", "country": "DE", **CHECKED}
            for n in range(4)
        ],
    )
    items = made["items"]
    assert isinstance(items, list)
    ids = [i["id"] for i in items]
    res = client.post(
        "/api/v1/requests/approve", json={"ids": ids}, headers=auth(tokens["privacy_officer"])
    )
    assert res.status_code == 200, res.text
    after = _path(client, tokens["viewer"])
    assert set(after) >= {"intake", "approval", "claim", "execution", "package", "mail"}
    for name, n in (("intake", 4), ("approval", 4)):
        assert after[name]["requests"] - before[name]["requests"] == n
        assert after[name]["cpu_seconds"] > before[name]["cpu_seconds"]


def test_metrics_split_the_public_path_into_intake_verification_and_letters(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, tokens: dict[str, str]
) -> None:
    before = _path(client, tokens["viewer"])
    res = client.post(
        "/api/v1/requests", json={"type": "access", "email": "pp@example.test", "country": "DE"}
    )
    assert res.status_code == 201, res.text
    code = code_from(smtp_server.mailbox, "pp@example.test")
    res = client.post(f"/api/v1/requests/{res.json()['id']}/verify", json={"code": code})
    assert res.status_code == 200, res.text
    after = _path(client, tokens["viewer"])
    grew = {name: after[name]["requests"] - before[name]["requests"] for name in after}
    # One request taken in and confirmed; two letters to the person (the code, the receipt);
    # three mails sent: those and the staff's notice that a verified request needs a decision.
    assert (grew["intake"], grew["verification"], grew["letter"], grew["mail"]) == (1, 1, 2, 3)
    assert len(smtp_server.mailbox.messages) == 3
    for name in ("intake", "verification", "letter", "mail"):
        assert after[name]["cpu_seconds"] > before[name]["cpu_seconds"], name
