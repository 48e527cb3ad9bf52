"""All SQL of objections (Art. 21) and restrictions (Art. 18) in the consent ledger."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ombud.models.consent import ConsentObjection, ConsentRestriction


def add_objection(
    session: Session,
    *,
    subject_hash: str,
    subject_kind: str,
    purpose: str,
    request_id: str | None,
    actor: str,
    at: datetime,
) -> bool:
    """Record an objection in force; False when one was already recorded."""
    if session.get(ConsentObjection, (subject_hash, purpose)) is not None:
        return False
    session.add(
        ConsentObjection(
            subject_hash=subject_hash,
            purpose=purpose,
            subject_kind=subject_kind,
            request_id=request_id,
            recorded_at=at,
            actor=actor,
        )
    )
    session.flush()
    return True


def objected(session: Session, purpose: str, hashes: Sequence[str]) -> set[str]:
    """The hashes among ``hashes`` that object to ``purpose``."""
    found: set[str] = set()
    unique = sorted(set(hashes))
    for start in range(0, len(unique), 20_000):
        stmt = select(ConsentObjection.subject_hash).where(
            ConsentObjection.purpose == purpose,
            ConsentObjection.subject_hash.in_(unique[start : start + 20_000]),
        )
        found.update(session.scalars(stmt))
    return found


def objections_of(session: Session, subject_hash: str) -> list[ConsentObjection]:
    """Objections in force of one identity."""
    stmt = select(ConsentObjection).where(ConsentObjection.subject_hash == subject_hash)
    return list(session.scalars(stmt.order_by(ConsentObjection.purpose)))


def objecting(session: Session, purpose: str, kind: str) -> Iterator[str]:
    """Hashes of every identity of ``kind`` that objects to ``purpose``."""
    stmt = (
        select(ConsentObjection.subject_hash)
        .where(ConsentObjection.purpose == purpose, ConsentObjection.subject_kind == kind)
        .order_by(ConsentObjection.subject_hash)
    )
    yield from session.scalars(stmt)


def add_restriction(
    session: Session,
    *,
    subject_hash: str,
    subject_kind: str,
    request_id: str | None,
    actor: str,
    at: datetime,
) -> None:
    """Record a restriction in force (the newest request stands for it)."""
    row = session.get(ConsentRestriction, subject_hash)
    if row is None:
        row = ConsentRestriction(subject_hash=subject_hash, subject_kind=subject_kind)
        session.add(row)
    row.request_id, row.actor, row.recorded_at = request_id, actor, at
    session.flush()


def restricted(session: Session, hashes: Sequence[str]) -> set[str]:
    """The hashes among ``hashes`` whose processing is restricted."""
    found: set[str] = set()
    unique = sorted(set(hashes))
    for start in range(0, len(unique), 20_000):
        stmt = select(ConsentRestriction.subject_hash).where(
            ConsentRestriction.subject_hash.in_(unique[start : start + 20_000])
        )
        found.update(session.scalars(stmt))
    return found


def lift_restrictions(session: Session, request_id: str) -> int:
    """Delete the restrictions that request ``request_id`` set; how many there were."""
    result = session.execute(
        delete(ConsentRestriction).where(ConsentRestriction.request_id == request_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def any_objection(session: Session, purpose: str) -> bool:
    """True when someone objects to ``purpose`` (the bulk check skips the lookup otherwise)."""
    stmt = select(ConsentObjection.subject_hash).where(ConsentObjection.purpose == purpose)
    return session.scalar(stmt.limit(1)) is not None


def any_restriction(session: Session) -> bool:
    """True when some identity is restricted."""
    return session.scalar(select(ConsentRestriction.subject_hash).limit(1)) is not None
