"""All SQL of the audit log."""

from __future__ import annotations

import functools
import typing
from typing import Any

from sqlalchemy import (
    CursorResult,
    Insert,
    ScalarResult,
    Table,
    Update,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from ombud.bulk import JsonRows, as_json_rows, insert_rows
from ombud.models.audit import AuditEntry, AuditHead

HEAD_ID = 1
# The columns an entry is written with (its id comes from the store).
_COLUMNS = (
    "seq", "at", "actor", "action", "subject_type", "subject_id", "data", "prev_hash", "hash",
)  # fmt: skip
# Entries and the head are written through their Core tables: the ORM's bulk insert and
# its synchronising update cost nearly twice as much CPU per append (measured), and an ORM
# insert would read bound parameters as rows.
_ENTRIES = typing.cast(Table, AuditEntry.__table__)
_HEAD = typing.cast(Table, AuditHead.__table__)


def lock_head(session: Session) -> AuditHead:
    """Return the head row, locked for update (created on first use)."""
    stmt = select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
    # populate_existing: a head loaded earlier in the session may have moved since.
    head = session.scalar(stmt.execution_options(populate_existing=True))
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash="")
        session.add(head)
        session.flush()
    return head


def advance_head(session: Session, *, seq: int, hash: str, new_seq: int, new_hash: str) -> bool:
    """Move the head from (``seq``, ``hash``) to the new one, locking it; False when the head
    is elsewhere (nothing changed)."""
    params = _move(seq, hash, new_seq, new_hash)
    return typing.cast(CursorResult[Any], session.execute(_advance(), params)).rowcount == 1


def _move(seq: int, hash: str, new_seq: int, new_hash: str) -> dict[str, Any]:
    """The parameters of ``_advance``."""
    return {"from_seq": seq, "from_hash": hash, "to_seq": new_seq, "to_hash": new_hash}


@functools.cache
def _advance() -> Update:
    """The head's move from (``from_seq``, ``from_hash``) to (``to_seq``, ``to_hash``)."""
    return (
        update(_HEAD)
        .where(
            _HEAD.c.id == HEAD_ID,
            _HEAD.c.seq == bindparam("from_seq"),
            _HEAD.c.hash == bindparam("from_hash"),
        )
        .values(seq=bindparam("to_seq"), hash=bindparam("to_hash"))
    )


def move_head_and_add(
    session: Session, *, seq: int, hash: str, new_seq: int, entries: list[AuditEntry]
) -> bool | None:
    """Move the head from (``seq``, ``hash``) to the last entry and insert the entries, in one
    statement (PostgreSQL): False when the head is elsewhere (nothing written), None when this
    store (or an entry's data) takes the two statements instead."""
    dialect = session.get_bind().dialect
    shape = as_json_rows(_ENTRIES, _COLUMNS, dialect) if dialect.name == "postgresql" else None
    document = (
        shape.document([{c: getattr(e, c) for c in _COLUMNS} for e in entries]) if shape else None
    )
    if shape is None or document is None:
        return None
    params: dict[str, Any] = {"rows": document, **_move(seq, hash, new_seq, entries[-1].hash)}
    ids = {row.seq: row.id for row in session.execute(_move_and_add(shape), params)}
    if not ids:
        return False
    for e in entries:
        e.id = ids[e.seq]
    return True


@functools.cache
def _move_and_add(shape: JsonRows) -> Insert:
    """The statement of ``move_head_and_add``: the head's move (``_advance``) as a WITH, then
    the insert; the same text whatever the number of entries, which travel as one JSON
    document."""
    # A data-modifying WITH runs whether or not it is read; the insert reads it, so the
    # entries go in only when the head moved (and is then locked by this transaction).
    moved = _advance().returning(_HEAD.c.id).cte("moved")
    # In the entries' order: the chain is read in the order of the serial ids.
    rows = text(f"{shape.select} WHERE EXISTS (SELECT 1 FROM moved) ORDER BY e.n").columns(
        *(_ENTRIES.c[c] for c in _COLUMNS)
    )
    return (
        insert(_ENTRIES)
        .from_select(list(_COLUMNS), rows)
        .add_cte(moved)
        .returning(_ENTRIES.c.id, _ENTRIES.c.seq)
    )


def get_head(session: Session) -> AuditHead | None:
    """Return the head row without locking it, as stored now."""
    # Read anew: the head is moved by Core statements, which leave a loaded object as it was.
    return session.get(AuditHead, HEAD_ID, populate_existing=True)


def add_many(session: Session, entries: list[AuditEntry]) -> None:
    """Insert entries in one statement and set their ids (Core: no objects kept in the
    session, no flush)."""
    rows = insert_rows(
        session, _ENTRIES, [{c: getattr(e, c) for c in _COLUMNS} for e in entries],
        returning=("id", "seq"),
    )  # fmt: skip
    ids = {row.seq: row.id for row in rows}
    for e in entries:
        e.id = ids[e.seq]


def iter_entries(session: Session, batch: int = 2000) -> ScalarResult[AuditEntry]:
    """Return all entries in chain order, streamed; use it in ``with`` to close early."""
    return session.scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=batch)
    )


def for_subject(session: Session, *, subject_type: str, subject_id: str) -> list[AuditEntry]:
    """Return the entries about one subject, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.seq)
    )
    return list(session.scalars(stmt))


def search(
    session: Session,
    *,
    subject_id: str = "",
    action: str = "",
    actor: str = "",
    before_seq: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Entries matching every filter given (subject id exact, action and actor by prefix),
    newest first, ``limit`` of them before ``before_seq``."""
    stmt = select(AuditEntry)
    if subject_id:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        stmt = stmt.where(AuditEntry.actor.startswith(actor, autoescape=True))
    if before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    return list(session.scalars(stmt.order_by(AuditEntry.seq.desc()).limit(limit)))


def hash_at(session: Session, seq: int) -> str | None:
    """The stored hash of entry ``seq``, or None when there is no such entry."""
    return session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq))


def commit_covers_what_was_read(session: Session) -> None:
    """On PostgreSQL, make this transaction's commit return only once everything it read is on
    the disk.

    A claim commits without waiting for the disk (``execution.repository``) and moves the
    head: a checkpoint that read such a head and left the store before it reached the disk
    would, after a crash of PostgreSQL, name entries the store no longer has. A commit that
    wrote something waits for the log up to itself, which holds every commit before it; a
    transactional logical message is the smallest such write (no table, any role may)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL synchronous_commit TO ON"))
        session.execute(text("SELECT pg_logical_emit_message(true, 'ombud', 'audit checkpoint')"))
