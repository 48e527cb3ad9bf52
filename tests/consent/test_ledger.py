"""The ledger: proof of each decision, notice versions, current state, erasure, bulk checks."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import ledger, repository, service
from ombud.consent.ledger import Context
from ombud.consent.schemas import BulkCheckCreate, DecisionCreate
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.errors import InvalidInput
from ombud.models.consent import ConsentRecord, ConsentState
from ombud.models.datamap import DataMapVersion
from tests.consent.conftest import DATAMAP_FILE, counts

NEWSLETTER_TEXT = "Our monthly newsletter with offers. One email a month; unsubscribe at any time."


def test_decision_is_proven_with_notice_hash(db_session: Session, datamap: DataMapVersion) -> None:
    rec = service.record_decision(
        db_session,
        email="Ana@Example.com",
        purpose="newsletter",
        decision="granted",
        method="web_form",
        context=Context(
            source_url="https://shop.example/signup", user_agent="UA/1", ip="203.0.113.77"
        ),
    )
    stored = db_session.scalars(select(ConsentRecord)).one()
    assert stored.receipt_id == rec.receipt_id
    assert stored.subject == "ana@example.com"
    assert stored.subject_hash == ledger.subject_hash("email", "ana@example.com")
    assert stored.subject_hash != hashlib.sha256(b"email:ana@example.com").hexdigest()
    assert stored.notice_version == 1
    assert stored.notice_hash == hashlib.sha256(NEWSLETTER_TEXT.encode()).hexdigest()
    assert (stored.decision, stored.method, stored.jurisdiction) == ("granted", "web_form", "gdpr")
    assert stored.ip == "203.0.113.0/24"
    assert stored.source_url == "https://shop.example/signup"
    assert stored.recorded_at.tzinfo is not None


def test_ipv6_truncated_to_48_and_dropped_by_setting(consent_settings: Settings) -> None:
    assert ledger.truncate_ip("2001:db8:abcd:12:1::5") == "2001:db8:abcd::/48"
    no_ip = consent_settings.model_copy(update={"store_ip": False})
    assert ledger.truncate_ip("203.0.113.77", no_ip) is None
    full = consent_settings.model_copy(update={"ip_truncation": False})
    assert ledger.truncate_ip("203.0.113.77", full) == "203.0.113.77"


def test_changed_notice_text_makes_new_version(
    db_session: Session, datamap: DataMapVersion
) -> None:
    first = service.record_decision(
        db_session, email="b@example.com", purpose="newsletter", decision="granted", method="api"
    )
    changed = load_datamap(DATAMAP_FILE)
    changed.subscription[0].notice = "Weekly newsletter now."
    datamap_service.apply_map(db_session, datamap=changed, files={}, author="test")
    second = service.record_decision(
        db_session, email="b@example.com", purpose="newsletter", decision="granted", method="api"
    )
    assert (first.notice_version, second.notice_version) == (1, 2)
    assert second.notice_hash == hashlib.sha256(b"Weekly newsletter now.").hexdigest()
    # The older record still proves the older text.
    assert (
        db_session.scalars(select(ConsentRecord.notice_hash).order_by(ConsentRecord.id)).all()[0]
        == hashlib.sha256(NEWSLETTER_TEXT.encode()).hexdigest()
    )


DECISIONS = st.lists(
    st.tuples(
        st.sampled_from(["a@example.com", "b@example.com", "c@example.com"]),
        st.sampled_from(["newsletter", "marketing.advertising", "analytics.reporting"]),
        st.sampled_from(["granted", "refused", "withdrawn"]),
        st.sampled_from(["api", "web_form", "preference_center", "gpc"]),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=DECISIONS)
def test_state_always_equals_last_decision(
    db_session: Session, datamap: DataMapVersion, sequence: list[tuple[str, str, str, str]]
) -> None:
    nested = db_session.begin_nested()
    try:
        last: dict[tuple[str, str], str] = {}
        for email, purpose, decision, method in sequence:
            if method == "gpc" and decision == "granted":
                method = "api"
            service.record_decision(
                db_session, email=email, purpose=purpose, decision=decision, method=method
            )
            last[(email, purpose)] = decision
        for (email, purpose), decision in last.items():
            subject = ledger.email_subject(email)
            history = [
                r for r in service.history(db_session, subject=subject) if r.purpose == purpose
            ]
            state = repository.get_state(db_session, subject.hash, purpose)
            assert state is not None
            assert state.decision == history[-1].decision == decision
            assert state.record_id == history[-1].id
        assert len(db_session.scalars(select(ConsentState)).all()) == len(last)
    finally:
        nested.rollback()


def test_bulk_check_and_contactable_emails(db_session: Session, datamap: DataMapVersion) -> None:
    for i in range(6):
        decision = "granted" if i % 2 == 0 else "withdrawn"
        service.record_decision(
            db_session,
            email=f"p{i}@example.com",
            purpose="newsletter",
            decision=decision,
            method="import",
        )
    body = BulkCheckCreate(
        purpose="newsletter",
        identities=[f"P{i}@example.com" for i in range(8)],
    )
    result = service.check_contactable(db_session, body=body)
    assert result.contactable == ["P0@example.com", "P2@example.com", "P4@example.com"]
    assert (result.checked, result.not_contactable) == (8, 5)
    assert sorted(service.contactable_emails(db_session, purpose="newsletter")) == [
        "p0@example.com",
        "p2@example.com",
        "p4@example.com",
    ]
    assert service.contactable_emails(db_session, purpose="product_alerts") == []


def test_bulk_check_keeps_order_and_duplicates_of_a_large_list(
    db_session: Session, datamap: DataMapVersion
) -> None:
    for i in (3, 11_999, 7_000):
        service.record_decision(
            db_session,
            email=f"q{i}@example.com",
            purpose="newsletter",
            decision="granted",
            method="import",
        )
    service.record_decision(
        db_session,
        email="q5@example.com",
        purpose="newsletter",
        decision="refused",
        method="import",
    )
    identities = [f"q{i}@example.com" for i in range(12_000)]
    # Duplicates and another spelling of the same address are answered where they stand.
    identities[100] = "Q7000@Example.com"
    identities.append("q3@example.com")
    body = BulkCheckCreate(purpose="newsletter", identities=identities)
    result = service.check_contactable(db_session, body=body)
    assert result.contactable == [
        "q3@example.com",
        "Q7000@Example.com",
        "q7000@example.com",
        "q11999@example.com",
        "q3@example.com",
    ]
    assert (result.checked, result.not_contactable) == (12_001, 12_001 - 5)


def test_erasure_keeps_anonymous_proof_only(db_session: Session, datamap: DataMapVersion) -> None:
    ctx = Context(user_agent="Mozilla/5.0", ip="198.51.100.9", source_url="https://x.example/")
    for decision in ("granted", "withdrawn"):
        service.record_decision(
            db_session,
            email="erase@example.com",
            purpose="newsletter",
            decision=decision,
            method="web_form",
            context=ctx,
        )
    service.record_decision(
        db_session,
        email="keep@example.com",
        purpose="newsletter",
        decision="granted",
        method="web_form",
        context=ctx,
    )
    assert service.erase_subject(db_session, email="ERASE@example.com") == 2
    erased = db_session.scalars(
        select(ConsentRecord).where(ConsentRecord.erased_at.is_not(None))
    ).all()
    assert len(erased) == 2
    for rec in erased:
        assert (rec.subject, rec.user_agent, rec.ip) == (None, None, None)
        assert rec.notice_hash and rec.decision and rec.purpose == "newsletter"
        assert rec.recorded_at is not None and rec.method == "web_form"
    state = repository.get_state(
        db_session, ledger.subject_hash("email", "erase@example.com"), "newsletter"
    )
    assert state is not None and state.subject is None and state.decision == "withdrawn"
    kept = db_session.scalars(select(ConsentRecord).where(ConsentRecord.erased_at.is_(None))).one()
    assert kept.subject == "keep@example.com" and kept.ip == "198.51.100.0/24"
    # The suppression list still holds the erased person, by keyed hash only.
    assert [(raw, d) for raw, _h, d in service.suppressed(db_session, purpose="newsletter")] == [
        (None, "withdrawn")
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"email": "not-an-email", "purpose": "newsletter", "decision": "granted"}, "email:"),
        ({"email": "a@example.com", "purpose": "nope", "decision": "granted"}, "purpose: 'nope'"),
        ({"email": "a@example.com", "purpose": "newsletter", "decision": "maybe"}, "decision:"),
        (
            {
                "email": "a@example.com",
                "purpose": "newsletter",
                "decision": "granted",
                "method": "telepathy",
            },
            "method:",
        ),
        (
            {
                "email": "a@example.com",
                "purpose": "marketing.advertising",
                "decision": "granted",
                "method": "gpc",
            },
            "GPC signal",
        ),
        (
            {
                "email": "a@example.com",
                "purpose": "newsletter",
                "decision": "granted",
                "notice_version": 7,
            },
            "notice_version",
        ),
    ],
)
def test_bad_input_writes_nothing(
    db_session: Session, datamap: DataMapVersion, kwargs: dict[str, object], message: str
) -> None:
    service.record_decision(
        db_session, email="z@example.com", purpose="newsletter", decision="granted", method="api"
    )
    before = counts(db_session)
    args: dict[str, object] = {"method": "api", **kwargs}
    with pytest.raises(InvalidInput, match=message):
        service.record_decision(db_session, **args)  # type: ignore[arg-type]
    assert counts(db_session) == before


def test_a_batch_writes_in_order_and_keeps_the_last_decision_as_state(
    db_session: Session, datamap: DataMapVersion
) -> None:
    # One batch holds several decisions of one person and purpose (the group commit, bulk).
    items = [
        DecisionCreate(email=email, purpose="newsletter", decision=decision, method=method)
        for email, decision, method in [
            ("a@example.com", "granted", "api"),
            ("b@example.com", "granted", "api"),
            ("a@example.com", "refused", "preference_center"),
            ("b@example.com", "withdrawn", "api"),
            ("a@example.com", "granted", "web_form"),
        ]
    ]
    recs = service.record_decisions(db_session, items=items, actor="test")
    ids = [r.id for r in recs]
    assert ids == sorted(ids) and len(set(ids)) == len(items)
    stored = {r.receipt_id: r for r in db_session.scalars(select(ConsentRecord))}
    assert [stored[r.receipt_id].id for r in recs] == ids
    assert [stored[r.receipt_id].decision for r in recs] == [i.decision for i in items]
    for email, record in [("a@example.com", recs[4]), ("b@example.com", recs[3])]:
        state = repository.get_state(db_session, ledger.email_subject(email).hash, "newsletter")
        assert state is not None and state.record_id == record.id
        assert state.decision == record.decision
