"""Retention of Ombud's own data (rules ``ombud.*``) on SQLite and PostgreSQL: expired request
records, packages, consent records, codes, preference sessions, mail and complaints go;
unexpired ones stay; the record behind each current consent decision stays."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.db import make_engine
from ombud.dsr.deadlines import add_months
from ombud.errors import NotFound
from ombud.models.audit import AuditEntry
from ombud.models.complaints import Complaint, ComplaintNote
from ombud.models.consent import (
    ConsentAccessCode,
    ConsentLink,
    ConsentNotice,
    ConsentPending,
    ConsentRecord,
    ConsentState,
)
from ombud.models.mail import OutboxMail
from ombud.models.requests import PrivacyRequest, VerificationCode
from ombud.retention import overview, own, service
from tests.fixtures.api import Clock, make_settings
from tests.fixtures.smtp import SmtpServer
from tests.retention.test_run import opener

EMPTY_MAP = DataMap.model_validate({"organization": {"fides_key": "acme", "name": "Acme"}})


@pytest.fixture
def store(
    committed_store_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: Clock,
) -> Iterator[tuple[Engine, Settings]]:
    """A committed store, settings with an outbox folder, and the clock at 2026-03-02."""
    settings = make_settings(
        committed_store_url, tmp_path, smtp_server, mail_outbox=tmp_path / "outbox"
    )
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    engine = make_engine(committed_store_url)
    yield engine, settings
    engine.dispose()


def _months(now: datetime, n: int) -> datetime:
    return datetime.combine(add_months(now.date(), -n), now.timetz())


def _request(now: datetime, closed: datetime, email: str, **extra: Any) -> PrivacyRequest:
    return PrivacyRequest(
        type="access", status="completed", jurisdiction="gdpr", email=email,
        identities={"email": email}, identity_hints=[], details="", source="api",
        received_at=closed, received_on=closed.date(), due_on=closed.date(), paused_days=0,
        closed_at=closed, **extra,
    )  # fmt: skip


def _record(rid: int, subject: str, decision: str, at: datetime, notice: str) -> ConsentRecord:
    return ConsentRecord(
        id=rid, receipt_id=f"r{rid}", subject_hash=subject * 64, subject_kind="email",
        subject=f"{subject}@x.test", purpose="newsletter", decision=decision, method="form",
        notice_id=notice, notice_version=1, notice_hash="h" * 64, jurisdiction="gdpr",
        recorded_at=at, source_url="", user_agent="Firefox", ip="192.0.2.0", actor="public",
        evidence={},
    )  # fmt: skip


def _state(record: ConsentRecord) -> ConsentState:
    return ConsentState(
        purpose=record.purpose, subject_hash=record.subject_hash, subject_kind="email",
        subject=record.subject, decision=record.decision, method="form", record_id=record.id,
        updated_at=record.recorded_at,
    )  # fmt: skip


def _seed(session: Session, settings: Settings, now: datetime) -> dict[str, str]:
    """Expired and unexpired rows of every kind; returns ids to check."""
    old_req = _request(now, _months(now, 25), "old@x.test")
    new_req = _request(now, _months(now, 1), "new@x.test")
    # Packages: one whose link expired a day ago, one still valid.
    expired_pkg = _request(now, now - timedelta(days=10), "pkg@x.test")
    valid_pkg = _request(now, now - timedelta(days=1), "pkg2@x.test")
    session.add_all([old_req, new_req, expired_pkg, valid_pkg])
    session.flush()
    exports = settings.data_dir / "exports"
    exports.mkdir(parents=True)
    for row, expiry in (
        (expired_pkg, now - timedelta(days=1)),
        (valid_pkg, now + timedelta(days=5)),
    ):
        export_id = row.id.replace("-", "") + "abcd1234"
        (exports / f"{export_id}.zip").write_bytes(b"zip")
        row.result = {"export_id": export_id, "download_expires_at": expiry.isoformat()}
    old, fresh = now - timedelta(days=40), now - timedelta(days=5)
    for at in (old, fresh):
        session.add(VerificationCode(request_id=new_req.id, code_hash="c" * 64, expires_at=at))
        session.add(ConsentAccessCode(subject_hash="a" * 64, code_hash="c" * 64, expires_at=at))
        session.add(ConsentLink(subject_hash="a" * 64, subject="a@x.test", expires_at=at))
    notice = ConsentNotice(
        purpose="newsletter", version=1, content_hash="h" * 64, title="N", text="t"
    )
    session.add(notice)
    session.flush()
    for at in (old, fresh):
        session.add(ConsentPending(
            subject_hash="p" * 64, subject="p@x.test", purpose="newsletter", notice_id=notice.id,
            method="form", jurisdiction="gdpr", expires_at=at,
        ))  # fmt: skip
    records = [
        # a: granted 4 years ago, withdrawn 40 months ago: the grant is out of force long enough.
        _record(1, "a", "granted", _months(now, 48), notice.id),
        _record(2, "a", "withdrawn", _months(now, 40), notice.id),
        # b: granted 40 months ago, withdrawn 2 months ago: the grant is still kept as proof.
        _record(3, "b", "granted", _months(now, 40), notice.id),
        _record(4, "b", "withdrawn", _months(now, 2), notice.id),
        # c: granted 50 months ago and still in force: kept whole.
        _record(5, "c", "granted", _months(now, 50), notice.id),
    ]
    session.add_all(records)
    session.flush()
    session.add_all([_state(records[1]), _state(records[3]), _state(records[4])])
    for status, at in (("sent", old), ("sent", fresh), ("failed", old), ("pending", old)):
        session.add(OutboxMail(
            to="m@x.test", subject=status, body="b", headers={}, message_id=f"<{status}{at}>",
            status=status, attempts=1, next_attempt_at=at, created_at=at,
            sent_at=at if status == "sent" else None,
        ))  # fmt: skip
    outbox = settings.mail_outbox
    assert outbox is not None
    outbox.mkdir()
    (outbox / "old.eml").write_text("old")
    (outbox / "new.eml").write_text("new")
    os.utime(outbox / "old.eml", (old.timestamp(), old.timestamp()))
    os.utime(outbox / "new.eml", (fresh.timestamp(), fresh.timestamp()))
    complaints = {}
    for key, answered in (("old", _months(now, 37)), ("new", _months(now, 1))):
        c = Complaint(
            reference=f"C-{key.upper()}23456", status="answered", about="general",
            jurisdiction="gdpr", email=f"{key}@c.test", name="Name", text="Complaint text",
            source="api", received_at=answered, received_on=answered.date(),
            due_on=answered.date(), answer="Answer", answered_by="s@x", answered_at=answered,
        )  # fmt: skip
        session.add(c)
        session.flush()
        session.add(ComplaintNote(complaint_id=c.id, author="s@x", text="note"))
        complaints[key] = c.id
    return {"old_req": old_req.id, "new_req": new_req.id, "valid_pkg": valid_pkg.id, **complaints}


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_own_data_expires_and_the_rest_stays(
    store: tuple[Engine, Settings], frozen_clock: Clock
) -> None:
    engine, settings = store
    now = frozen_clock.now
    with Session(engine) as session:
        ids = _seed(session, settings, now)
        session.commit()

    with Session(engine) as session:
        planned = {
            (r["rule"], r["collection"]): r["to_change"]
            for r in own.plan_rows(session, rule=None, settings=settings, now=now)
        }
        assert _count(session, ConsentRecord) == 5  # the plan changes nothing
    assert planned == {
        ("ombud.requests", "privacy_requests"): 1,
        ("ombud.packages", "exports"): 1,
        ("ombud.consent", "consent_records"): 1,
        ("ombud.consent", "consent_records (reduced)"): 1,
        ("ombud.verification_codes", "verification_codes"): 1,
        ("ombud.verification_codes", "consent_access_codes"): 1,
        ("ombud.preference_sessions", "consent_links"): 1,
        ("ombud.preference_sessions", "consent_pending"): 1,
        ("ombud.mail", "mail_outbox"): 2,
        ("ombud.mail", "outbox folder"): 1,
        ("ombud.complaints", "complaints"): 1,
    }

    outcomes = service.run(opener(engine), EMPTY_MAP)
    assert {o.rule: o.status for o in outcomes} == {r.key: "completed" for r in own.RULES}
    changed = {o.rule: o.changed for o in outcomes}
    assert changed["ombud.mail"] == {"mail_outbox": 2, "outbox folder": 1}

    with Session(engine) as session:
        old_req = session.get(PrivacyRequest, ids["old_req"])
        new_req = session.get(PrivacyRequest, ids["new_req"])
        assert old_req is not None and old_req.email is None and old_req.purged_at is not None
        assert new_req is not None and new_req.email == "new@x.test"
        assert _count(session, VerificationCode) == 1
        assert _count(session, ConsentAccessCode) == 1
        assert _count(session, ConsentLink) == 1
        assert _count(session, ConsentPending) == 1
        assert sorted(session.scalars(select(OutboxMail.status))) == ["pending", "sent"]
        records = {r.id: r for r in session.scalars(select(ConsentRecord))}
        # The superseded grant of a went; everything proving a current state stayed.
        assert sorted(records) == [2, 3, 4, 5]
        for state in session.scalars(select(ConsentState)):
            assert state.record_id in records
            assert records[state.record_id].decision == state.decision
        # a's old withdrawal keeps decision, notice and time, loses IP and user agent.
        assert records[2].ip is None and records[2].user_agent is None
        assert records[2].notice_hash == "h" * 64 and records[2].decision == "withdrawn"
        # b's recent withdrawal and c's grant in force keep their evidence.
        assert records[4].ip == "192.0.2.0" and records[5].user_agent == "Firefox"
        old_c = session.get(Complaint, ids["old"])
        new_c = session.get(Complaint, ids["new"])
        assert old_c is not None and old_c.email is None and old_c.text == ""
        assert old_c.answer is None and old_c.purged_at is not None
        assert old_c.due_on == old_c.received_on and old_c.about == "general"  # for metrics
        assert new_c is not None and new_c.text == "Complaint text"
        notes = list(session.scalars(select(ComplaintNote.complaint_id)))
        assert notes == [ids["new"]]
        # One audit entry per rule, with counts and never a value.
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "retention_rule")
        ).all()
        assert sorted(e.subject_id for e in entries) == sorted(r.key for r in own.RULES)
        by_rule = {e.subject_id: e.data for e in entries}
        assert by_rule["ombud.consent"]["changed"] == {
            "consent_records": 1, "consent_records (reduced)": 1
        }  # fmt: skip
        text = " ".join(str(e.data) for e in entries)
        assert "@" not in text and "Complaint text" not in text and "192.0.2" not in text
        status = {row["rule"]: row for row in overview.status(session, EMPTY_MAP)}
        for rule in own.RULES:
            assert status[rule.key]["last_status"] == "completed"
            assert status[rule.key]["overdue"] is False
        assert status["ombud.complaints"]["changed"] == {"complaints": 1}

    exports = sorted(p.name for p in (settings.data_dir / "exports").iterdir())
    # The package whose link still works stays.
    assert exports == [ids["valid_pkg"].replace("-", "") + "abcd1234.zip"]
    assert settings.mail_outbox is not None
    assert sorted(p.name for p in settings.mail_outbox.iterdir()) == ["new.eml"]

    # A second run finds nothing more.
    again = service.run(opener(engine), EMPTY_MAP)
    assert all(sum(o.changed.values()) == 0 for o in again)


def test_one_own_rule_and_unknown_ones(store: tuple[Engine, Settings], frozen_clock: Clock) -> None:
    engine, settings = store
    with Session(engine) as session:
        _seed(session, settings, frozen_clock.now)
        session.commit()
    outcomes = service.run(opener(engine), EMPTY_MAP, rule="ombud.verification_codes")
    assert [(o.rule, o.changed) for o in outcomes] == [
        ("ombud.verification_codes", {"verification_codes": 1, "consent_access_codes": 1})
    ]
    with Session(engine) as session:
        assert _count(session, ConsentLink) == 2  # the other rules did not run
    with pytest.raises(NotFound, match=r"ombud\.nothing"):
        service.run(opener(engine), EMPTY_MAP, rule="ombud.nothing")


def test_periods_are_settings(store: tuple[Engine, Settings], frozen_clock: Clock) -> None:
    engine, settings = store
    with Session(engine) as session:
        _seed(session, settings, frozen_clock.now)
        session.commit()
    longer = settings.model_copy(
        update={"retention_consent_months": 60, "retention_codes_days": 60,
                "retention_complaints_months": 48, "retention_requests_months": 30}
    )  # fmt: skip
    with Session(engine) as session:
        rows = own.plan_rows(session, rule=None, settings=longer, now=frozen_clock.now)
    counts = {(r["rule"], r["collection"]): r["to_change"] for r in rows}
    periods = {r["rule"]: r["period"] for r in rows}
    assert counts[("ombud.consent", "consent_records")] == 0
    assert counts[("ombud.verification_codes", "verification_codes")] == 0
    assert counts[("ombud.complaints", "complaints")] == 0
    assert counts[("ombud.requests", "privacy_requests")] == 0
    assert periods["ombud.consent"] == "60 months" and periods["ombud.mail"] == "30 days"
