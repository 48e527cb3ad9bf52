"""Appending with the process's head hint: one statement moves the head when the hint is
right (on PostgreSQL the same statement writes the entries); a wrong or stale hint (another
process appended, a rollback) falls back to the locked read, and the chain stays whole
either way."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats
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


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def test_right_hint_appends_without_reading_the_head(db_session: Session) -> None:
    _record(db_session, 0)
    seen = _statements(db_session, lambda: _record(db_session, 1))
    # PostgreSQL: the head moves in a WITH clause of the entries' INSERT, one round trip.
    assert seen == (["WITH"] if _postgresql(db_session) else ["UPDATE", "INSERT"])
    result = service.verify(db_session)
    assert result.ok and result.checked == 2
    entries = repository.for_subject(db_session, subject_type="thing", subject_id="1")
    assert [e.seq for e in entries] == [2] and entries[0].id is not None


def test_a_batch_of_any_size_is_one_statement_of_one_text(db_session: Session) -> None:
    _record(db_session, 0)
    texts: list[str] = []
    conn = db_session.connection()

    def keep(_c: object, _cur: object, statement: str, *_a: object) -> None:
        texts.append(statement)

    for many in (2, 60, 300):

        def batch(many: int = many) -> None:
            for i in range(many):
                service.record(
                    db_session, action="test.hint", actor="t", subject_type="thing",
                    subject_id=str(i), data={"i": i},
                )  # fmt: skip
            assert service.write_pending(db_session) == many

        event.listen(conn, "before_cursor_execute", keep)
        try:
            seen = _statements(db_session, batch)
        finally:
            event.remove(conn, "before_cursor_execute", keep)
        # PostgreSQL: the entries travel as arrays, so the text is the same for any count.
        assert seen == (["WITH"] if _postgresql(db_session) else ["UPDATE", "INSERT"])
    if _postgresql(db_session):
        assert len(set(texts)) == 1
    result = service.verify(db_session)
    assert result.ok and result.checked == 1 + 2 + 60 + 300
    # The chain is read in id order: the ids follow the entries' order.
    entries = repository.for_subject(db_session, subject_type="thing", subject_id="7")
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    assert [e.id for e in entries] == sorted(e.id for e in entries)


def test_another_writer_moves_the_head_and_the_chain_stays_whole(db_session: Session) -> None:
    _record(db_session, 0)
    # Another process appended: its entry moved the head past this process's hint.
    hint = service._last_head
    assert hint is not None
    _record(db_session, 1)
    service._remember(hint)
    seen = _statements(db_session, lambda: _record(db_session, 2))
    # The hint failed: nothing was written with it, and the head is read under its lock.
    assert seen[:2] == (["WITH", "SELECT"] if _postgresql(db_session) else ["UPDATE", "SELECT"])
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


def test_appending_reuses_the_compiled_statements(db_session: Session) -> None:
    _record(db_session, 0)
    hits: list[bool] = []
    conn = db_session.connection()

    def note(_c: object, _cur: object, _s: str, _p: object, context: object, *_a: object) -> None:
        hits.append(getattr(context, "cache_hit", None) is CacheStats.CACHE_HIT)

    event.listen(conn, "before_cursor_execute", note)
    try:
        for i in range(1, 4):
            _record(db_session, i)
    finally:
        event.remove(conn, "before_cursor_execute", note)
    # The entries' values are bound, not part of the statement: no compiling on every append.
    assert hits and all(hits)
    assert service.verify(db_session).checked == 4
