"""Legal periods, jurisdiction rules as data, extension, pause and overdue flags."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.dsr import jurisdictions
from ombud.dsr.deadlines import Period, add_business_days, add_months, extended_deadline
from ombud.errors import InvalidInput
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import code_from, counts, store_datamap
from tests.fixtures.api import Clock, auth
from tests.fixtures.smtp import Mailbox, SmtpServer


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 9, 3), 1, date(2026, 10, 3)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 3, 31), -24, date(2024, 3, 31)),
    ],
)
def test_calendar_months(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_business_days_skip_weekends() -> None:
    assert add_business_days(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Fri -> Mon
    assert add_business_days(date(2026, 3, 2), 10) == date(2026, 3, 16)
    assert add_business_days(date(2026, 3, 2), 15) == date(2026, 3, 23)


def test_gdpr_extension_counts_from_receipt() -> None:
    one, two = Period(months=1), Period(months=2)
    assert extended_deadline(date(2026, 1, 31), one, two) == date(2026, 4, 30)
    assert extended_deadline(date(2026, 3, 2), Period(days=45), Period(days=45)) == date(
        2026, 5, 31
    )


def test_rules_built_again_for_the_same_overrides_are_read_once() -> None:
    overrides = [{"key": "br_lgpd", "name": "LGPD", "deadline": {"days": 15}, "types": {}}]
    first = jurisdictions.build(overrides)
    first.pop("gdpr")  # the caller's dict is its own
    again = jurisdictions.build([dict(o) for o in overrides])
    assert again["br_lgpd"] is first["br_lgpd"] and "gdpr" in again
    assert jurisdictions.build([]).get("br_lgpd") is None
    changed = jurisdictions.build([{**overrides[0], "deadline": {"days": 20}}])
    assert changed["br_lgpd"].deadline == Period(days=20)


def test_rules_are_data_and_map_overrides_them() -> None:
    shipped = jurisdictions.build([])
    ccpa = jurisdictions.rules_for(shipped["ccpa"], "opt_out_sale")
    assert ccpa.deadline == Period(business_days=15) and not ccpa.verification
    assert ccpa.extension is None
    know = jurisdictions.rules_for(shipped["ccpa"], "access")
    assert know.acknowledge == Period(business_days=10) and know.deadline == Period(days=45)
    custom = jurisdictions.build(
        [
            {"key": "gdpr", "types": {"withdraw_consent": None}},
            {
                "key": "br_lgpd",
                "name": "LGPD",
                "countries": ["BR"],
                "deadline": {"days": 15},
                "types": {"access": {}},
            },
        ]
    )
    with pytest.raises(InvalidInput, match="does not grant a withdraw_consent"):
        jurisdictions.rules_for(custom["gdpr"], "withdraw_consent")
    assert jurisdictions.infer(custom, country="br") == "br_lgpd"
    assert jurisdictions.infer(custom, country="US", region="CA") == "ccpa"
    assert jurisdictions.infer(custom, country="JP") == "default"
    with pytest.raises(InvalidInput, match="jurisdiction 'bad'"):
        jurisdictions.build([{"key": "bad", "name": "x", "deadline": {"weeks": 2}, "types": {}}])


def _verified(client: TestClient, mailbox: Mailbox, **body: str) -> str:
    payload = {"type": "access", "email": "lin@example.test", "jurisdiction": "gdpr", **body}
    res = client.post("/api/v1/requests", json=payload)
    assert res.status_code == 201, res.text
    rid = str(res.json()["id"])
    code = code_from(mailbox, payload["email"])
    assert client.post(f"/api/v1/requests/{rid}/verify", json={"code": code}).status_code == 200
    return rid


def test_extension_once_and_never_after_first_deadline(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    frozen_clock: Clock,
) -> None:
    officer = auth(tokens["privacy_officer"])
    rid = _verified(client, smtp_server.mailbox)
    res = client.post(
        f"/api/v1/requests/{rid}/extend", headers=officer, json={"reason": "Data is in 14 systems."}
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["due_on"] == "2026-04-02" and body["extended_due_on"] == "2026-06-02"
    assert body["deadline"] == "2026-06-02" and body["extension_reason"]
    letter = Mailbox.text(smtp_server.mailbox.to("lin@example.test")[-1])
    assert "Data is in 14 systems." in letter
    assert "is 2 June 2026 (instead of 2 April 2026)" in " ".join(letter.split())
    before = counts(db_session)
    again = client.post(f"/api/v1/requests/{rid}/extend", headers=officer, json={"reason": "more"})
    assert again.status_code == 409 and "only one extension" in again.json()["error"]
    assert counts(db_session) == before

    late = _verified(client, smtp_server.mailbox, email="late@example.test")
    frozen_clock.advance(days=32)  # first deadline 2026-04-02 has passed
    before = counts(db_session)
    res = client.post(f"/api/v1/requests/{late}/extend", headers=officer, json={"reason": "busy"})
    assert res.status_code == 409 and "has passed" in res.json()["error"]
    assert counts(db_session) == before
    assert client.get(f"/api/v1/requests/{late}", headers=officer).json()["extended_due_on"] is None


def test_queue_flags_overdue_and_due_soon(
    client: TestClient,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    frozen_clock: Clock,
) -> None:
    old = _verified(client, smtp_server.mailbox, email="old@example.test")
    frozen_clock.advance(days=10)
    new = _verified(client, smtp_server.mailbox, email="new@example.test")
    frozen_clock.advance(days=20)  # old due 2026-04-02, new due 2026-04-12; today 2026-04-01
    items = client.get("/api/v1/requests", headers=auth(tokens["viewer"])).json()["items"]
    assert [i["id"] for i in items] == [old, new]
    assert items[0]["due_soon"] and not items[0]["overdue"]
    frozen_clock.advance(days=5)  # today 2026-04-06
    items = client.get("/api/v1/requests", headers=auth(tokens["viewer"])).json()["items"]
    assert items[0]["overdue"] and not items[1]["overdue"] and items[1]["due_soon"]


def test_asking_for_proof_pauses_the_clock(
    client: TestClient,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    frozen_clock: Clock,
) -> None:
    officer = auth(tokens["privacy_officer"])
    rid = _verified(client, smtp_server.mailbox)
    res = client.post(
        f"/api/v1/requests/{rid}/request-proof",
        headers=officer,
        json={"reason": "Please confirm the postcode of your delivery address."},
    )
    assert res.status_code == 200 and res.json()["status"] == "awaiting_verification"
    assert "postcode" in Mailbox.text(smtp_server.mailbox.to("lin@example.test")[-1])
    frozen_clock.advance(days=40)
    items = client.get("/api/v1/requests", headers=officer).json()["items"]
    assert not items[0]["overdue"]  # paused clocks are never overdue
    res = client.post(f"/api/v1/requests/{rid}/proof-received", headers=officer, json={})
    body = res.json()
    assert body["status"] == "verified" and body["paused_days"] == 40
    assert body["due_on"] == "2026-05-12"


def test_data_map_can_change_deadlines(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    document = dict(datamap.document)
    document["jurisdiction"] = [{"key": "gdpr", "deadline": {"days": 20}}]
    store_datamap(db_session, document)
    db_session.commit()
    res = client.post(
        "/api/v1/requests", json={"type": "access", "email": "a@example.test", "country": "FR"}
    )
    assert res.json()["due_on"] == "2026-03-22"


# ------------------------------------------------------------------ boundaries
def test_gdpr_extension_ending_in_a_leap_february(
    client: TestClient,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    frozen_clock: Clock,
) -> None:
    frozen_clock.set(datetime(2027, 11, 30, 9, 0, tzinfo=UTC))
    rid = _verified(client, smtp_server.mailbox, email="leap@example.test")
    officer = auth(tokens["privacy_officer"])
    res = client.post(f"/api/v1/requests/{rid}/extend", headers=officer, json={"reason": "big"})
    assert res.status_code == 200, res.text
    # 30 Nov + 1 month = 30 Dec; + 3 months from receipt = 29 Feb 2028 (clamped, leap year).
    assert res.json()["due_on"] == "2027-12-30"
    assert res.json()["extended_due_on"] == "2028-02-29"
    letter = " ".join(Mailbox.text(smtp_server.mailbox.to("leap@example.test")[-1]).split())
    assert "is 29 February 2028 (instead of 30 December 2027)" in letter
    # The same day a year earlier ends on 28 February: no leap day in 2027.
    assert extended_deadline(date(2026, 11, 30), Period(months=1), Period(months=2)) == date(
        2027, 2, 28
    )


def test_overdue_only_after_the_due_date(
    client: TestClient,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    frozen_clock: Clock,
) -> None:
    rid = _verified(client, smtp_server.mailbox, email="edge@example.test")
    viewer = auth(tokens["viewer"])

    def flags() -> tuple[bool, bool]:
        (item,) = [i for i in client.get("/api/v1/requests", headers=viewer).json()["items"]]
        assert item["id"] == rid and item["deadline"] == "2026-04-02"
        return item["overdue"], item["due_soon"]

    frozen_clock.set(datetime(2026, 4, 2, 23, 59, 59, tzinfo=UTC))  # the last second of it
    assert flags() == (False, True)
    frozen_clock.set(datetime(2026, 4, 3, 0, 0, tzinfo=UTC))  # the day after
    assert flags() == (True, False)


def test_extension_allowed_on_the_due_date_itself(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
    frozen_clock: Clock,
) -> None:
    officer = auth(tokens["privacy_officer"])
    on_time = _verified(client, smtp_server.mailbox, email="ontime@example.test")
    late = _verified(client, smtp_server.mailbox, email="late@example.test")
    frozen_clock.set(datetime(2026, 4, 2, 23, 59, tzinfo=UTC))  # due 2026-04-02
    res = client.post(
        f"/api/v1/requests/{on_time}/extend",
        headers=officer,
        json={"reason": "Data is in 14 systems."},
    )
    assert res.status_code == 200, res.text
    assert res.json()["extended_due_on"] == "2026-06-02"
    frozen_clock.set(datetime(2026, 4, 3, 0, 0, tzinfo=UTC))
    before = counts(db_session)
    res = client.post(
        f"/api/v1/requests/{late}/extend",
        headers=officer,
        json={"reason": "Data is in 14 systems."},
    )
    assert res.status_code == 409 and "2026-04-02 has passed" in res.json()["error"]
    assert counts(db_session) == before
