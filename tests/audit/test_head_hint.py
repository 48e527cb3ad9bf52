"""Appending with the process's head hint: one statement moves the head when the hint is
right; a wrong or stale hint (another process appended, a rollback) falls back to the locked
read, and the chain stays whole either way."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session

from ombud.audit import repository, service


def _record(session: Session, i: int) -> None:
    service.record(
        session, action="test.hint", actor="tester", subject_type="thing", subject_id=str(i)
    )
    service.write_pending(session)


def _statements(session: Session, fn: Callable[[], None]) -> list[str]:
    seen: list[str] = []
    conn = session.connection()

    def count(_c: object, _cur: object, statement: str, *_a: object) -> None:
        seen.append(statement.split()[0].upper())

    event.listen(conn, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(conn, "before_cursor_execute", count)
    return seen


def test_right_hint_appends_without_reading_the_head(db_session: Session) -> None:
    _record(db_session, 0)
    seen = _statements(db_session, lambda: _record(db_session, 1))
    assert seen == ["UPDATE", "INSERT"]
    assert service.verify(db_session).ok


def test_another_writer_moves_the_head_and_the_chain_stays_whole(db_session: Session) -> None:
    _record(db_session, 0)
    # Another process appended: its entry moved the head past this process's hint.
    hint = service._last_head
    assert hint is not None
    _record(db_session, 1)
    service._remember(hint)
    seen = _statements(db_session, lambda: _record(db_session, 2))
    assert seen[:2] == ["UPDATE", "SELECT"]  # the hint failed: the head is read under its lock
    result = service.verify(db_session)
    assert result.ok and result.checked == 3
    head = repository.get_head(db_session)
    assert head is not None and head.seq == 3


def test_a_forged_hint_never_breaks_the_chain(db_session: Session) -> None:
    _record(db_session, 0)
    head = repository.get_head(db_session)
    assert head is not None
    # Same sequence number, another hash: the conditional update must not match.
    service._remember((head.seq, "0" * 64))
    _record(db_session, 1)
    assert service.verify(db_session).ok
