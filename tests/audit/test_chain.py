"""The audit log is a hash chain: any edit, deletion or reordering is found by verify."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ombud.audit import service
from ombud.models.audit import AuditEntry


def _fill(session: Session, n: int = 5) -> list[AuditEntry]:
    entries = [
        service.record(
            session,
            action="test.event",
            actor="tester",
            subject_type="thing",
            subject_id=str(i),
            data={"i": i},
        )
        for i in range(n)
    ]
    # Entries are written when the transaction commits, or now: then they have their ids.
    assert service.write_pending(session) == n
    return entries


def test_intact_chain_verifies(db_session: Session) -> None:
    _fill(db_session)
    result = service.verify(db_session)
    assert result.ok and result.checked == 5


def test_edited_entry_is_named(db_session: Session) -> None:
    entries = _fill(db_session)
    db_session.execute(
        update(AuditEntry).where(AuditEntry.id == entries[2].id).values(actor="mallory")
    )
    db_session.expire_all()
    result = service.verify(db_session)
    assert not result.ok
    assert result.broken_seq == 3
    assert "edited" in result.reason


def test_deleted_entry_is_found(db_session: Session) -> None:
    entries = _fill(db_session)
    db_session.execute(delete(AuditEntry).where(AuditEntry.id == entries[1].id))
    db_session.expire_all()
    result = service.verify(db_session)
    assert not result.ok and result.broken_seq == 3


def test_deleted_last_entry_is_found(db_session: Session) -> None:
    entries = _fill(db_session)
    db_session.execute(delete(AuditEntry).where(AuditEntry.id == entries[-1].id))
    db_session.expire_all()
    result = service.verify(db_session)
    assert not result.ok and "removed" in result.reason


def test_reordered_entries_are_found(db_session: Session) -> None:
    entries = _fill(db_session)
    a, b = entries[1], entries[2]
    a_data, b_data = dict(a.data), dict(b.data)
    db_session.execute(update(AuditEntry).where(AuditEntry.id == a.id).values(data=b_data))
    db_session.execute(update(AuditEntry).where(AuditEntry.id == b.id).values(data=a_data))
    db_session.expire_all()
    assert service.verify(db_session).broken_seq == 2


def test_secrets_are_refused(db_session: Session) -> None:
    with pytest.raises(service.AuditSecretError):
        service.record(
            db_session,
            action="x",
            actor="y",
            subject_type="z",
            subject_id="1",
            data={"nested": {"verification_code": "123456"}},
        )
    assert db_session.scalars(select(AuditEntry)).all() == []
