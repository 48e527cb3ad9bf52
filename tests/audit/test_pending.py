"""Entries wait in the session and are written together when the transaction commits: one
head update and one INSERT for many entries (one statement on PostgreSQL); a rolled-back
savepoint drops its own entries only; a read of the log in the transaction sees the waiting
ones; a rollback writes none."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.audit import repository, service
from ombud.models.audit import AuditEntry
from tests.audit.test_head_hint import _statements


def _record(session: Session, name: str) -> AuditEntry:
    return service.record(
        session, action="test.pending", actor="tester", subject_type="thing", subject_id=name
    )


def _logged(session: Session) -> list[str]:
    stmt = select(AuditEntry.subject_id).where(AuditEntry.action == "test.pending")
    return list(session.scalars(stmt.order_by(AuditEntry.seq)))


def test_many_entries_are_written_with_one_update_and_one_insert(db_session: Session) -> None:
    _record(db_session, "warm")  # this process learns the head
    db_session.commit()
    seen = _statements(db_session, lambda: [_record(db_session, str(i)) for i in range(20)])
    assert seen == []  # nothing is written while the transaction goes on
    entries = [_record(db_session, "last")]
    postgresql = db_session.get_bind().dialect.name == "postgresql"
    seen = _statements(db_session, db_session.commit)
    # PostgreSQL: the head moves in a WITH clause of the entries' INSERT, one statement.
    written = ["WITH"] if postgresql else ["UPDATE", "INSERT"]
    assert [s for s in seen if s in ("UPDATE", "INSERT", "WITH")] == written
    assert entries[0].id is not None and entries[0].seq > 0
    assert _logged(db_session) == ["warm", *map(str, range(20)), "last"]
    assert service.verify(db_session).ok


def test_a_rolled_back_savepoint_drops_its_own_entries_only(db_session: Session) -> None:
    _record(db_session, "before")
    try:
        with db_session.begin_nested():
            _record(db_session, "inside")
            with db_session.begin_nested():
                _record(db_session, "deeper")
            raise RuntimeError("this savepoint fails")
    except RuntimeError:
        pass
    with db_session.begin_nested():
        _record(db_session, "kept savepoint")
    _record(db_session, "after")
    db_session.commit()
    assert _logged(db_session) == ["before", "kept savepoint", "after"]
    result = service.verify(db_session)
    assert result.ok
    head = repository.get_head(db_session)
    assert head is not None and head.seq == result.checked


def test_a_read_of_the_log_sees_the_waiting_entries(db_session: Session) -> None:
    _record(db_session, "a")
    _record(db_session, "b")
    # The same transaction reads the log before committing: the entries are there.
    assert _logged(db_session) == ["a", "b"]
    found = service.for_subject(db_session, subject_type="thing", subject_id="b")
    assert [e.subject_id for e in found] == ["b"]
    db_session.commit()
    assert _logged(db_session) == ["a", "b"]
    assert service.verify(db_session).ok


def test_a_rollback_writes_nothing(db_session: Session) -> None:
    count = select(func.count()).select_from(AuditEntry)
    before = db_session.scalar(count)
    db_session.commit()
    _record(db_session, "lost")
    db_session.rollback()
    _record(db_session, "written")
    db_session.commit()
    assert db_session.scalar(count) == (before or 0) + 1
    assert _logged(db_session) == ["written"]
    assert service.verify(db_session).ok
