"""The person's choice of package encryption at intake: checked, kept sealed, wiped."""

from __future__ import annotations

import pyrage
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.dsr import sealing
from ombud.errors import Conflict
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import counts
from tests.fixtures.api import OTHER_SECRET_KEY, auth
from tests.fixtures.smtp import SmtpServer

PASSPHRASE = "plum-tree-harbour-1987"
RECIPIENT = str(pyrage.x25519.Identity.generate().to_public())
FORM = {"type": "access", "email": "ida@example.test", "country": "DE"}


def _stored_text(session: Session, rid: str) -> str:
    """Everything kept about a request (its row, letters and audit entries) as one text."""
    session.expire_all()
    parts: list[str] = []
    for sql in (
        "SELECT * FROM privacy_requests WHERE id = :rid",
        "SELECT * FROM request_messages WHERE request_id = :rid",
        "SELECT * FROM audit_entries WHERE subject_id = :rid",
    ):
        parts.extend(str(tuple(row)) for row in session.execute(text(sql), {"rid": rid}))
    return "\n".join(parts)


def test_bad_recipient_is_refused_with_the_field_named_and_nothing_written(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    before = counts(db_session)
    res = client.post(
        "/api/v1/requests",
        json={"type": "access", "email": "a@example.test", "encryption": {"age_recipient": "x"}},
    )
    assert res.status_code == 422
    error = res.json()["error"]
    assert error.startswith("encryption.age_recipient:") and "not a valid age recipient" in error
    page = client.post("/privacy/request", data={**FORM, "age_recipient": "age1notakey"})
    assert page.status_code == 422 and 'id="age_recipient-error"' in page.text
    assert "not a valid age recipient" in page.text and 'value="age1notakey"' in page.text
    assert counts(db_session) == before and smtp_server.mailbox.messages == []


@pytest.mark.parametrize(
    ("encryption", "kind", "where", "says"),
    [
        ({"passphrase": "too short"}, "access", "encryption.passphrase", "at least 12"),
        ({}, "access", "encryption", "exactly one"),
        (
            {"passphrase": PASSPHRASE, "age_recipient": RECIPIENT},
            "portability",
            "encryption",
            "exactly one",
        ),
        ({"passphrase": PASSPHRASE}, "erasure", "encryption", "erasure requests produce no"),
    ],
)
def test_bad_encryption_choices_are_refused(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    encryption: dict[str, str],
    kind: str,
    where: str,
    says: str,
) -> None:
    before = counts(db_session)
    body = {"type": kind, "email": "a@example.test", "encryption": encryption}
    res = client.post("/api/v1/requests", json=body)
    assert res.status_code == 422
    assert res.json()["error"].startswith(f"{where}:") and says in res.json()["error"]
    assert PASSPHRASE not in res.text
    assert counts(db_session) == before


def test_form_never_shows_the_passphrase_back(
    client: TestClient, db_session: Session, datamap: DataMapVersion
) -> None:
    before = counts(db_session)
    data = {**FORM, "passphrase": PASSPHRASE, "passphrase_confirm": PASSPHRASE + "x"}
    page = client.post("/privacy/request", data=data)
    assert page.status_code == 422 and 'id="passphrase_confirm-error"' in page.text
    short = client.post(
        "/privacy/request", data={**FORM, "passphrase": "short", "passphrase_confirm": "short"}
    )
    assert short.status_code == 422 and 'id="passphrase-error"' in short.text
    assert "at least 12 characters" in short.text
    assert PASSPHRASE not in page.text and 'value="short"' not in short.text
    assert counts(db_session) == before


def test_passphrase_is_kept_only_sealed_and_wiped_when_the_request_closes(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    dsr_settings: Settings,
    tokens: dict[str, str],
) -> None:
    data = {**FORM, "passphrase": PASSPHRASE, "passphrase_confirm": PASSPHRASE}
    res = client.post("/privacy/request", data=data, follow_redirects=False)
    assert res.status_code == 303, res.text
    rid = res.headers["location"].split("/")[3]
    stored = _stored_text(db_session, rid)
    assert PASSPHRASE not in stored and "package_encryption" in stored  # audited, as a method
    sealed = db_session.execute(
        text("SELECT package_passphrase_sealed FROM privacy_requests WHERE id = :rid"),
        {"rid": rid},
    ).scalar_one()
    assert sealing.unseal(dsr_settings, sealed, request_id=rid) == PASSPHRASE
    shown = client.get(f"/api/v1/requests/{rid}", headers=auth(tokens["viewer"])).json()
    assert shown["package_encryption"] == "passphrase" and sealed not in str(shown)
    res = client.post(
        f"/api/v1/requests/{rid}/cancel",
        headers=auth(tokens["privacy_officer"]),
        json={"reason": "the person withdrew it"},
    )
    assert res.status_code == 200 and res.json()["package_encryption"] == "passphrase"
    db_session.expire_all()
    wiped = db_session.execute(
        text("SELECT package_passphrase_sealed FROM privacy_requests WHERE id = :rid"),
        {"rid": rid},
    ).scalar_one()
    assert wiped is None


def test_recipient_is_kept_with_the_request(
    client: TestClient, db_session: Session, datamap: DataMapVersion, tokens: dict[str, str]
) -> None:
    recipient = RECIPIENT
    res = client.post(
        "/api/v1/requests",
        json={
            "type": "portability",
            "email": "b@example.test",
            "encryption": {"age_recipient": f" {recipient} "},
        },
    )
    assert res.status_code == 201, res.text
    shown = client.get(f"/api/v1/requests/{res.json()['id']}", headers=auth(tokens["viewer"]))
    body = shown.json()
    assert body["package_encryption"] == "age_recipient"
    assert body["package_recipient"] == recipient
    form = {**FORM, "age_recipient": recipient}
    page = client.post("/privacy/request", data=form, follow_redirects=False)
    assert page.status_code == 303, page.text
    rid = page.headers["location"].split("/")[3]
    mine = client.get(f"/api/v1/requests/{rid}", headers=auth(tokens["viewer"])).json()
    assert (mine["package_encryption"], mine["package_recipient"]) == ("age_recipient", recipient)


def test_a_sealed_passphrase_needs_the_same_secret_key(settings: Settings) -> None:
    sealed = sealing.seal(settings, PASSPHRASE)
    assert PASSPHRASE not in sealed
    other = settings.model_copy(update={"secret_key": SecretStr(OTHER_SECRET_KEY)})
    with pytest.raises(Conflict, match="sealed with another OMBUD_SECRET_KEY"):
        sealing.unseal(other, sealed, request_id="r1")
