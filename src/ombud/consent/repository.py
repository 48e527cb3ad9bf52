"""All SQL of the consent ledger."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import String, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ombud.models.consent import (
    ConsentAccessCode,
    ConsentNotice,
    ConsentPending,
    ConsentRecord,
    ConsentState,
)
from ombud.models.datamap import DataMapVersion

# Identities per query: SQLite allows 32,766 variables; on PostgreSQL (one array parameter)
# 5,000 keeps the plan an index-only scan of ix_consent_states_granted, where 20,000+ tips
# the planner into a sequential scan of the whole state table.
CHECK_CHUNK = 20_000
CHECK_CHUNK_PG = 5_000


def latest_datamap_id(session: Session) -> str | None:
    """Id of the latest applied data map version."""
    stmt = select(DataMapVersion.id).order_by(DataMapVersion.number.desc()).limit(1)
    return session.scalar(stmt)


def latest_notice(session: Session, purpose: str) -> ConsentNotice | None:
    """The highest notice version of ``purpose``."""
    stmt = (
        select(ConsentNotice)
        .where(ConsentNotice.purpose == purpose)
        .order_by(ConsentNotice.version.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def notice_by_hash(session: Session, purpose: str, content_hash: str) -> ConsentNotice | None:
    """The notice of ``purpose`` whose text has this hash."""
    stmt = select(ConsentNotice).where(
        ConsentNotice.purpose == purpose, ConsentNotice.content_hash == content_hash
    )
    return session.scalar(stmt)


def notice_by_version(session: Session, purpose: str, version: int) -> ConsentNotice | None:
    """Notice version ``version`` of ``purpose``."""
    stmt = select(ConsentNotice).where(
        ConsentNotice.purpose == purpose, ConsentNotice.version == version
    )
    return session.scalar(stmt)


def notices_by_id(session: Session, ids: Iterable[str]) -> dict[str, ConsentNotice]:
    """Notices keyed by id."""
    rows = session.scalars(select(ConsentNotice).where(ConsentNotice.id.in_(set(ids))))
    return {n.id: n for n in rows}


def add(session: Session, obj: Any) -> None:
    """Insert one ORM object and flush so its id and constraints are checked now."""
    session.add(obj)
    session.flush()


def insert_records(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Append ledger records in one statement; return their ids in the order given."""
    if len(rows) == 1:  # the common case: a plain INSERT ... RETURNING, no executemany
        return [
            int(
                session.execute(
                    insert(ConsentRecord).returning(ConsentRecord.id), rows[0]
                ).scalar_one()
            )
        ]
    stmt = insert(ConsentRecord).returning(ConsentRecord.id, sort_by_parameter_order=True)
    return [int(r[0]) for r in session.execute(stmt, list(rows))]


def upsert_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace current states; a state never moves back to an older record."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    ins: Any = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ConsentState)
    excluded = ins.excluded
    changes = {
        "subject_kind": excluded.subject_kind,
        "decision": excluded.decision,
        "method": excluded.method,
        "record_id": excluded.record_id,
        "updated_at": excluded.updated_at,
        # Keep a raw identity once known; erasure nulls it explicitly.
        "subject": func.coalesce(excluded.subject, ConsentState.subject),
        "gpc_at": func.coalesce(excluded.gpc_at, ConsentState.gpc_at),
    }
    stmt = ins.on_conflict_do_update(
        index_elements=[ConsentState.purpose, ConsentState.subject_hash],
        set_=changes,
        # Concurrent writers: the record with the higher sequence is the last decision.
        where=ConsentState.record_id < excluded.record_id,
    )
    session.execute(stmt, rows[0] if len(rows) == 1 else list(rows))


def get_state(session: Session, subject_hash: str, purpose: str) -> ConsentState | None:
    """Current state of one subject for one purpose."""
    return session.get(ConsentState, (purpose, subject_hash))


def states_of(session: Session, subject_hash: str) -> list[tuple[ConsentState, str]]:
    """Current states of a subject with the receipt id of the deciding record."""
    stmt = (
        select(ConsentState, ConsentRecord.receipt_id)
        .join(ConsentRecord, ConsentRecord.id == ConsentState.record_id)
        .where(ConsentState.subject_hash == subject_hash)
        .order_by(ConsentState.purpose)
    )
    return [(st, rid) for st, rid in session.execute(stmt)]


def history_of(
    session: Session, subject_hash: str, purpose: str | None = None
) -> list[ConsentRecord]:
    """Every record of a subject, oldest first."""
    stmt = select(ConsentRecord).where(ConsentRecord.subject_hash == subject_hash)
    if purpose is not None:
        stmt = stmt.where(ConsentRecord.purpose == purpose)
    return list(session.scalars(stmt.order_by(ConsentRecord.id)))


def record_by_receipt(session: Session, receipt_id: str) -> ConsentRecord | None:
    """The record with this receipt id."""
    return session.scalar(select(ConsentRecord).where(ConsentRecord.receipt_id == receipt_id))


def granted_hashes(session: Session, purpose: str, hashes: Sequence[str]) -> set[str]:
    """Which of ``hashes`` are granted for ``purpose``: one indexed query per chunk."""
    found: set[str] = set()
    postgres = session.get_bind().dialect.name == "postgresql"
    size = CHECK_CHUNK_PG if postgres else CHECK_CHUNK
    ordered = sorted(hashes)  # neighbouring keys: each chunk walks one part of the index
    for start in range(0, len(ordered), size):
        chunk = ordered[start : start + size]
        # PostgreSQL: one array parameter (= ANY) instead of 20,000 placeholders to parse.
        cond = (
            ConsentState.subject_hash == any_(bindparam("hashes", chunk, type_=ARRAY(String())))
            if postgres
            else ConsentState.subject_hash.in_(chunk)
        )
        stmt = select(ConsentState.subject_hash).where(
            ConsentState.purpose == purpose, ConsentState.decision == "granted", cond
        )
        found.update(session.scalars(stmt))
    return found


def subjects_with(
    session: Session, purpose: str, decisions: Sequence[str], kind: str = "email"
) -> Iterator[tuple[str | None, str, str, datetime]]:
    """Raw identity, hash, decision and time of states of ``purpose`` in ``decisions``."""
    stmt = (
        select(
            ConsentState.subject,
            ConsentState.subject_hash,
            ConsentState.decision,
            ConsentState.updated_at,
        )
        .where(
            ConsentState.purpose == purpose,
            ConsentState.decision.in_(list(decisions)),
            ConsentState.subject_kind == kind,
        )
        .order_by(ConsentState.subject_hash)
    )
    rows = session.execute(stmt.execution_options(yield_per=5000))
    yield from ((r[0], r[1], r[2], r[3]) for r in rows)


def erase(session: Session, subject_hash: str, at: datetime) -> int:
    """Null raw identity, user agent and IP of every record and state of a subject."""
    result = session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.subject_hash == subject_hash)
        .values(subject=None, user_agent=None, ip=None, erased_at=at)
    )
    session.execute(
        update(ConsentState).where(ConsentState.subject_hash == subject_hash).values(subject=None)
    )
    session.execute(delete(ConsentPending).where(ConsentPending.subject_hash == subject_hash))
    session.execute(delete(ConsentAccessCode).where(ConsentAccessCode.subject_hash == subject_hash))
    return int(getattr(result, "rowcount", 0) or 0)


def get_pending(session: Session, pending_id: str) -> ConsentPending | None:
    """A pending double opt-in confirmation."""
    return session.get(ConsentPending, pending_id)


def latest_code(session: Session, subject_hash: str) -> ConsentAccessCode | None:
    """The newest unused one-time code of a subject."""
    stmt = (
        select(ConsentAccessCode)
        .where(ConsentAccessCode.subject_hash == subject_hash, ConsentAccessCode.used_at.is_(None))
        .order_by(ConsentAccessCode.created_at.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def count_rows(session: Session) -> dict[str, int]:
    """Row counts of the consent tables (for tests and the benchmark)."""
    out: dict[str, int] = {}
    for model in (ConsentNotice, ConsentRecord, ConsentState, ConsentPending, ConsentAccessCode):
        out[model.__tablename__] = int(session.scalar(select(func.count()).select_from(model)) or 0)
    return out
