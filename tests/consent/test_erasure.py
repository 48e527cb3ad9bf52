"""Erasure reaches the ledger: no granted consent and no raw identity remain, the person stays
suppressed by keyed hash, older preference sessions and links open nothing, and a fresh
explicit opt-in afterwards is recorded like any other."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import erasure, ledger, preferences, repository, service, tokens
from ombud.consent.ledger import Context
from ombud.consent.schemas import BulkCheckCreate
from ombud.consent.web import SESSION_COOKIE
from ombud.models.consent import (
    ConsentAccessCode,
    ConsentPending,
    ConsentRecord,
    ConsentState,
)
from ombud.models.datamap import DataMapVersion
from tests.fixtures.api import Clock
from tests.fixtures.statements import statements

EMAIL = "erase.me@example.com"
OTHER = "stays@example.com"
CTX = Context(user_agent="Mozilla/5.0", ip="198.51.100.9", source_url="https://x.example/")


def _rows_mentioning(session: Session, text: str) -> list[tuple[str, Any]]:
    """Every consent row with ``text`` in any column."""
    found: list[tuple[str, Any]] = []
    for model in (ConsentRecord, ConsentState, ConsentPending, ConsentAccessCode):
        for row in session.scalars(select(model)):
            values = [getattr(row, c.key) for c in model.__table__.columns]
            if any(text in str(v).lower() for v in values if v is not None):
                found.append((model.__tablename__, row))
    return found


def _contactable(session: Session, purpose: str, email: str) -> bool:
    body = BulkCheckCreate(purpose=purpose, identities=[email])
    return bool(service.check_contactable(session, body=body).contactable)


def test_erasure_leaves_no_consent_and_no_identity_but_a_suppression(
    db_session: Session, datamap: DataMapVersion, settings: Settings, frozen_clock: Clock
) -> None:
    for purpose in ("newsletter", "product_alerts"):
        service.record_decision(
            db_session,
            email=EMAIL.upper(),
            purpose=purpose,
            decision="granted",
            method="web_form",
            context=CTX,
        )
    service.record_decision(
        db_session, email=OTHER, purpose="newsletter", decision="granted", method="web_form"
    )
    preferences.request_subscription(
        db_session, email=EMAIL, purpose="privacy_statement_updates", context=CTX
    )
    preferences.request_subscription(db_session, email=EMAIL, purpose="product_alerts", context=CTX)
    preferences.send_access_code(db_session, email=EMAIL, settings=settings)
    subject = ledger.email_subject(EMAIL, settings)
    cookie = preferences.session_token(subject, settings)
    link = preferences.preference_link(db_session, EMAIL, settings).split("t=", 1)[1]
    assert preferences.load_session(cookie, settings, db_session) == subject
    assert _contactable(db_session, "newsletter", EMAIL)

    frozen_clock.advance(minutes=5)
    report = erasure.erase_person(
        db_session,
        identities={"email": EMAIL, "phone": "+49 30 1"},
        actor="system:execution",
        request_id="req-1",
        settings=settings,
    )
    db_session.flush()

    assert report.withdrawn == ["newsletter", "privacy_statement_updates", "product_alerts"]
    # Purposes never decided are refused, so no list can mail the person either.
    assert report.refused == ["analytics.reporting", "marketing.advertising"]
    assert len(report.as_dict()["suppressed"]) == 5
    assert _rows_mentioning(db_session, EMAIL) == []
    states = db_session.scalars(
        select(ConsentState).where(ConsentState.subject_hash == subject.hash)
    ).all()
    assert states and all(s.decision != "granted" and s.subject is None for s in states)
    records = db_session.scalars(
        select(ConsentRecord).where(ConsentRecord.subject_hash == subject.hash)
    ).all()
    assert all((r.subject, r.ip, r.user_agent) == (None, None, None) for r in records)
    assert {r.method for r in records if r.decision == "withdrawn"} == {"erasure"}
    # Suppressed by keyed hash: the bulk check says no, the export lists the hash.
    assert not _contactable(db_session, "newsletter", EMAIL)
    assert _contactable(db_session, "newsletter", OTHER)
    suppressed = list(service.suppressed(db_session, purpose="newsletter"))
    assert (None, subject.hash, "withdrawn") in suppressed
    assert OTHER not in str(suppressed)
    # Sessions and links made before the erasure open nothing any more.
    assert preferences.load_session(cookie, settings, db_session) is None
    try:
        preferences.open_link(db_session, link, settings)
    except tokens.InvalidLink as exc:
        assert "no longer valid" in exc.message
    else:
        raise AssertionError("a preference link made before the erasure still opened")

    # A fresh, explicit opt-in afterwards is the person's new decision.
    frozen_clock.advance(minutes=5)
    service.record_decision(
        db_session, email=EMAIL, purpose="newsletter", decision="granted", method="web_form"
    )
    assert _contactable(db_session, "newsletter", EMAIL)
    fresh = preferences.session_token(subject, settings)
    assert preferences.load_session(fresh, settings, db_session) == subject


def test_a_person_who_never_decided_is_suppressed_for_every_purpose(
    db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    report = erasure.erase_person(
        db_session, identities={"email": EMAIL}, actor="system:execution", settings=settings
    )
    assert report.withdrawn == [] and "newsletter" in report.refused
    subject = ledger.email_subject(EMAIL, settings)
    state = repository.get_state(db_session, subject.hash, "newsletter")
    assert state is not None and state.decision == "refused" and state.subject is None
    assert _rows_mentioning(db_session, EMAIL) == []


def test_an_erased_session_cookie_opens_the_sign_in_page(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    subject = ledger.email_subject(EMAIL, settings)
    cookie = preferences.session_token(subject, settings)
    client.cookies.set(SESSION_COOKIE, cookie)
    before = client.get("/privacy/preferences")
    assert EMAIL in before.text
    frozen_clock.advance(minutes=1)
    erasure.erase_person(db_session, identities={"email": EMAIL}, actor="t", settings=settings)
    db_session.commit()
    after = client.get("/privacy/preferences")
    assert after.status_code == 200 and EMAIL not in after.text


def _decide(session: Session, email: str, decisions: dict[str, str]) -> None:
    for purpose, decision in decisions.items():
        service.record_decision(
            session, email=email, purpose=purpose, decision=decision, method="web_form"
        )


def _ledger_of(session: Session, email: str, settings: Settings) -> list[tuple[Any, ...]]:
    """A person's records and states, without what differs between two people."""
    h = ledger.email_subject(email, settings).hash
    records = session.scalars(select(ConsentRecord).where(ConsentRecord.subject_hash == h))
    states = session.scalars(select(ConsentState).where(ConsentState.subject_hash == h))
    return sorted(
        [("record", r.purpose, r.decision, r.method, r.subject, r.ip) for r in records]
        + [("state", s.purpose, s.decision, s.subject) for s in states]
    )


def test_erasing_several_people_at_once_does_what_one_at_a_time_does(
    db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    shapes = [
        {"newsletter": "granted", "product_alerts": "granted"},
        {"newsletter": "granted", "product_alerts": "refused"},
        {},
    ]
    together = [f"together{i}@example.com" for i in range(3)]
    alone = [f"alone{i}@example.com" for i in range(3)]
    for shape, a, b in zip(shapes, together, alone, strict=True):
        _decide(db_session, a, shape)
        _decide(db_session, b, shape)
    with statements(db_session.get_bind(), "UPDATE consent_records") as erasing:
        batch = erasure.erase_people(
            db_session,
            [(f"req-{a}", {"email": a}) for a in together],
            actor="system:execution",
            settings=settings,
        )
    one_by_one = [
        erasure.erase_person(
            db_session,
            identities={"email": b},
            actor="system:execution",
            request_id=f"req-{b}",
            settings=settings,
        )
        for b in alone
    ]
    assert [r.as_dict() for r in batch] == [r.as_dict() for r in one_by_one]
    assert batch[0].withdrawn == ["newsletter", "product_alerts"] and batch[2].withdrawn == []
    for a, b in zip(together, alone, strict=True):
        assert _ledger_of(db_session, a, settings) == _ledger_of(db_session, b, settings)
    # The records of the three were erased in one statement.
    assert len(erasing) == 1


def test_the_same_person_twice_is_erased_as_one_after_the_other(
    db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    _decide(db_session, EMAIL, {"newsletter": "granted"})
    _decide(db_session, OTHER, {"newsletter": "granted"})
    twice = erasure.erase_people(
        db_session,
        [("req-1", {"email": EMAIL}), ("req-2", {"email": EMAIL.upper()})],
        actor="system:execution",
        settings=settings,
    )
    first, second = (
        erasure.erase_person(
            db_session, identities={"email": OTHER}, actor="system:execution", settings=settings
        )
        for _ in range(2)
    )
    assert [r.as_dict() for r in twice] == [first.as_dict(), second.as_dict()]
    assert twice[0].withdrawn == ["newsletter"] and twice[1].withdrawn == []
    assert _ledger_of(db_session, EMAIL, settings) == _ledger_of(db_session, OTHER, settings)
