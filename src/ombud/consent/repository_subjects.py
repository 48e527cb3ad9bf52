"""All SQL of one person's whole consent ledger: states and records (also read ahead), erasure."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, literal_column, select, update
from sqlalchemy.orm import Session

from ombud.models.consent import (
    ConsentAccessCode,
    ConsentLink,
    ConsentPending,
    ConsentRecord,
    ConsentState,
)


def states_of(session: Session, subject_hash: str) -> list[tuple[ConsentState, str]]:
    """Current states of a subject with the receipt id of the deciding record."""
    stmt = (
        select(ConsentState, ConsentRecord.receipt_id)
        .join(ConsentRecord, ConsentRecord.id == ConsentState.record_id)
        .where(ConsentState.subject_hash == subject_hash)
        .order_by(ConsentState.purpose)
    )
    return [(st, rid) for st, rid in session.execute(stmt)]


def states_of_many(
    session: Session, subject_hashes: Sequence[str]
) -> dict[str, list[tuple[ConsentState, str]]]:
    """``states_of`` for many subjects, in one query per 500."""
    out: dict[str, list[tuple[ConsentState, str]]] = {h: [] for h in subject_hashes}
    wanted = sorted(out)
    for i in range(0, len(wanted), 500):
        stmt = (
            select(ConsentState, ConsentRecord.receipt_id)
            .join(ConsentRecord, ConsentRecord.id == ConsentState.record_id)
            .where(ConsentState.subject_hash.in_(wanted[i : i + 500]))
            .order_by(ConsentState.subject_hash, ConsentState.purpose)
        )
        for state, receipt_id in session.execute(stmt):
            out[state.subject_hash].append((state, receipt_id))
    return out


def history_of(
    session: Session, subject_hash: str, purpose: str | None = None
) -> list[ConsentRecord]:
    """Every record of a subject, oldest first."""
    stmt = select(ConsentRecord).where(ConsentRecord.subject_hash == subject_hash)
    if purpose is not None:
        stmt = stmt.where(ConsentRecord.purpose == purpose)
    return list(session.scalars(stmt.order_by(ConsentRecord.id)))


def histories_of(session: Session, subject_hashes: Sequence[str]) -> dict[str, list[ConsentRecord]]:
    """Every record of each subject, oldest first, in one query per 500 subjects."""
    out: dict[str, list[ConsentRecord]] = {h: [] for h in subject_hashes}
    wanted = sorted(out)
    for i in range(0, len(wanted), 500):
        stmt = select(ConsentRecord).where(ConsentRecord.subject_hash.in_(wanted[i : i + 500]))
        for record in session.scalars(stmt.order_by(ConsentRecord.id)):
            out[record.subject_hash].append(record)
    return out


def erase(session: Session, subject_hash: str, at: datetime) -> int:
    """Null raw identity, user agent and IP of every record and state of a subject; how many
    records it had."""
    return erase_many(session, [subject_hash], at)[subject_hash]


def erase_many(session: Session, subject_hashes: Sequence[str], at: datetime) -> dict[str, int]:
    """``erase`` for several subjects in one set of statements; how many records each had."""
    hashes = list(dict.fromkeys(subject_hashes))
    if not hashes:
        return {}
    erased = session.execute(
        update(ConsentRecord)
        .where(ConsentRecord.subject_hash.in_(hashes))
        .values(subject=None, user_agent=None, ip=None, erased_at=at)
        .returning(ConsentRecord.subject_hash)
    )
    counts = Counter(erased.scalars())
    session.execute(
        update(ConsentState).where(ConsentState.subject_hash.in_(hashes)).values(subject=None)
    )
    pending = delete(ConsentPending).where(ConsentPending.subject_hash.in_(hashes))
    others = [
        delete(ConsentAccessCode).where(ConsentAccessCode.subject_hash.in_(hashes)),
        delete(ConsentLink).where(ConsentLink.subject_hash.in_(hashes)),
    ]
    if session.get_bind().dialect.name == "postgresql":
        # One round trip for the three: the codes and links go in WITH clauses of the first.
        gone = [d.returning(literal_column("1")).cte(f"gone_{i}") for i, d in enumerate(others)]
        session.execute(pending.add_cte(*gone))
    else:
        for stmt in (pending, *others):
            session.execute(stmt)
    return {h: counts[h] for h in hashes}


def erased_at(session: Session, subject_hash: str) -> datetime | None:
    """When the subject's records were last erased, or None."""
    stmt = select(func.max(ConsentRecord.erased_at)).where(
        ConsentRecord.subject_hash == subject_hash
    )
    value = session.scalar(stmt)
    return value if isinstance(value, datetime) else None
