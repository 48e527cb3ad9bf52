"""Audit entries wait in the session until its transaction commits, then are chained and
written together: one head update and one INSERT per transaction instead of two statements per
entry, and the head row (the one lock every writer of the log shares) is held only from that
write to the commit, not for the whole transaction.

An entry recorded inside a savepoint that is rolled back is dropped with it. A read of the log
in the same transaction (outside a savepoint) writes the waiting entries first, so it sees
them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from ombud.models.audit import AuditEntry, AuditHead

_KEY = "ombud_audit_pending"
_writer: list[Callable[[Session], object]] = []


@dataclass
class Pending:
    """An entry not yet chained, the key it will be chained with, and the (innermost)
    transaction it was recorded in."""

    entry: AuditEntry
    key: bytes
    txn: SessionTransaction | None


def add(session: Session, entry: AuditEntry, key: bytes) -> None:
    """Hold ``entry`` until the transaction commits (or the log is read)."""
    if session.get_transaction() is None:
        session.connection()  # begin now: a rollback before any query must drop the entry
    txn = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_KEY, []).append(Pending(entry, key, txn))


def take(session: Session) -> list[Pending]:
    """The waiting entries, in the order they were recorded; none wait afterwards."""
    items: list[Pending] = session.info.pop(_KEY, [])
    return items


def install(writer: Callable[[Session], object]) -> None:
    """Write waiting entries with ``writer`` before each commit and before reads of the log."""
    if _writer:
        return
    _writer.append(writer)
    event.listen(Session, "before_commit", _before_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    event.listen(Session, "after_transaction_end", _after_end)
    event.listen(Session, "do_orm_execute", _before_read)


def _before_commit(session: Session) -> None:
    if session.info.get(_KEY) and not session.in_nested_transaction():
        _writer[0](session)


def _within(txn: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while txn is not None:
        if txn is ancestor:
            return True
        txn = txn.parent
    return False


def _after_rollback(session: Session, previous_transaction: SessionTransaction) -> None:
    items: list[Pending] | None = session.info.get(_KEY)
    if not items:
        return
    if not previous_transaction.nested:
        session.info.pop(_KEY, None)
        return
    # Only what the rolled-back savepoint (or one inside it) recorded goes.
    items[:] = [p for p in items if not _within(p.txn, previous_transaction)]


def _after_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_KEY, None)  # committed (written before) or rolled back


_LOG_MAPPERS: tuple[Any, ...] = (AuditEntry, AuditHead)


def _before_read(state: ORMExecuteState) -> None:
    session = state.session
    if not session.info.get(_KEY) or session.in_nested_transaction():
        # Inside a savepoint the waiting entries of the outer transaction are not written:
        # a rollback of the savepoint would take them with it.
        return
    if any(m.class_ in _LOG_MAPPERS for m in state.all_mappers):
        _writer[0](session)
