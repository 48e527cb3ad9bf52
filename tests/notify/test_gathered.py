"""Many requests verified at once (bulk API, CSV import): one mail per staff member."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.dsr.imports import import_csv
from ombud.models.requests import PrivacyRequest
from ombud.notify import service as notify
from tests.dsr.conftest import commit
from tests.fixtures.api import auth
from tests.fixtures.smtp import Mailbox, SmtpServer

CHECKED = {"identity_verified": True, "verification_note": "signed letter, ID card seen"}
OFFICER = "privacy_officer@staff.test"


def _staff_mail(mailbox: Mailbox) -> list[tuple[str, str, str]]:
    return [
        (m["To"], m["Subject"], Mailbox.text(m))
        for m in mailbox.messages
        if m["To"].endswith("@staff.test")
    ]


def test_bulk_intake_mails_each_officer_once_naming_every_verified_request(
    client: TestClient,
    datamap: object,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    items = [
        {"type": "access", "email": f"v{n}@example.test", "country": "DE", **CHECKED}
        for n in range(3)
    ]
    # A refused item sends the batch item by item: what its first try gathered is dropped.
    items.insert(1, {"type": "access", "email": "not an address", **CHECKED})
    # A request whose person confirms by code is not verified yet: staff hear of it later.
    items.append({"type": "erasure", "email": "code@example.test", "country": "DE"})
    res = client.post(
        "/api/v1/requests/bulk", json={"items": items}, headers=auth(tokens["privacy_officer"])
    )
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["done"] == 4 and body["refused"] == 1
    verified = [i["id"] for i in body["items"] if i["status"] == "verified"]
    assert len(verified) == 3
    mails = _staff_mail(smtp_server.mailbox)
    assert [(to, subject) for to, subject, _ in mails] == [
        (OFFICER, "3 requests verified: they need a decision")
    ]
    text = mails[0][2]
    assert all(rid in text for rid in verified)
    assert "http://testserver/staff/requests?status=verified" in text
    assert "example.test" not in text  # no identity of a person in staff mail
    waiting = [i["id"] for i in body["items"] if i["status"] == "awaiting_verification"]
    assert len(waiting) == 1 and waiting[0] not in text

    res = client.post(
        "/api/v1/requests/bulk",
        json={"items": [{"type": "erasure", "email": "w@example.test", "country": "DE"} | CHECKED]},
        headers=auth(tokens["privacy_officer"]),
    )
    assert res.status_code == 200, res.text
    (rid,) = [i["id"] for i in res.json()["items"]]
    # One request: the usual mail about it, with its own link.
    to, subject, text = _staff_mail(smtp_server.mailbox)[-1]
    assert (to, subject) == (OFFICER, f"Request {rid[:8]} verified: erasure needs a decision")
    assert f"http://testserver/staff/requests/{rid}" in text
    assert len(_staff_mail(smtp_server.mailbox)) == 2


def test_csv_import_mails_once_after_every_row_is_in(
    db_session: Session,
    datamap: object,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    csv = b"type,email,jurisdiction,verified_reason\n"
    csv += b"access,one@example.test,gdpr,passport seen\n"
    csv += b"erasure,two@example.test,gdpr,\n"
    csv += b"erasure,three@example.test,gdpr,signed letter\n"
    created = import_csv(db_session, csv, actor="dpo")
    commit(db_session)
    ids = {r.email: r.id for r in created}
    mails = _staff_mail(smtp_server.mailbox)
    assert [(to, subject) for to, subject, _ in mails] == [
        (OFFICER, "2 requests verified: they need a decision")
    ]
    text = mails[0][2]
    assert ids["one@example.test"] in text and ids["three@example.test"] in text
    assert ids["two@example.test"] not in text  # the person confirms by code first

    bad = b"type,email,jurisdiction,verified_reason\naccess,four@example.test,gdpr,seen\n"
    bad += b"access,five@example.test,atlantis,seen\n"
    try:
        import_csv(db_session, bad, actor="dpo")
    except Exception as exc:  # the whole file is refused: nothing recorded, nobody mailed
        assert "line 3" in str(exc) and "nothing was imported" in str(exc)
        db_session.rollback()
    else:
        raise AssertionError("a file with an unknown jurisdiction was imported")
    commit(db_session)
    assert len(_staff_mail(smtp_server.mailbox)) == 1


def test_a_long_list_names_the_soonest_first_and_counts_the_rest(
    db_session: Session,
    datamap: object,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    start = date(2026, 12, 1)
    # Not stored: only the mail is (the officers are read from the store).
    requests = [
        PrivacyRequest(
            id=f"req-{n:03d}", type="access", jurisdiction="gdpr", due_on=start + timedelta(n)
        )
        for n in reversed(range(notify.LISTED + 2))
    ]
    assert notify.requests_verified(db_session, requests) == 1
    commit(db_session)
    ((to, subject, text),) = _staff_mail(smtp_server.mailbox)
    many = notify.LISTED + 2
    assert (to, subject) == (OFFICER, f"{many} requests verified: they need a decision")
    listed = [line.split()[0] for line in text.splitlines() if line.startswith("  req-")]
    assert listed == [f"req-{n:03d}" for n in range(notify.LISTED)]  # soonest deadline first
    assert "  ... and 2 more" in text
