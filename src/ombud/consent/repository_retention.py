"""All SQL of the consent domain's retention: expired access codes, preference-center links
and double opt-in confirmations, superseded consent records and the browser details of old
refusals (called by the retention rules of Ombud's own data, ``retention.own``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from ombud.models.consent import (
    ConsentAccessCode,
    ConsentLink,
    ConsentPending,
    ConsentRecord,
    ConsentState,
)

ExpiringModel = type[ConsentAccessCode] | type[ConsentLink]


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(stmt) or 0)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def count_expired(session: Session, model: ExpiringModel, cutoff: datetime) -> int:
    """Access codes or preference-center links that expired before ``cutoff``."""
    return _count(session, select(func.count()).select_from(model).where(model.expires_at < cutoff))


def delete_expired(session: Session, model: ExpiringModel, cutoff: datetime) -> int:
    """Delete access codes or preference-center links that expired before ``cutoff``."""
    return _rowcount(session.execute(delete(model).where(model.expires_at < cutoff)))


def count_pending(session: Session, cutoff: datetime) -> int:
    """Double opt-in confirmations that expired before ``cutoff`` (confirmed or not)."""
    stmt = select(func.count()).select_from(ConsentPending)
    return _count(session, stmt.where(ConsentPending.expires_at < cutoff))


def delete_pending(session: Session, cutoff: datetime) -> int:
    """Delete those confirmations (a confirmed one lives on as its consent record)."""
    stmt = delete(ConsentPending).where(ConsentPending.expires_at < cutoff)
    return _rowcount(session.execute(stmt))


def _superseded(cutoff: datetime) -> ColumnElement[bool]:
    """A record a later decision of the same subject and purpose replaced before ``cutoff``,
    and that no current state points at."""
    later = aliased(ConsentRecord)
    replaced = exists().where(
        later.subject_hash == ConsentRecord.subject_hash,
        later.purpose == ConsentRecord.purpose,
        later.id > ConsentRecord.id,
        later.recorded_at < cutoff,
    )
    current = exists().where(ConsentState.record_id == ConsentRecord.id)
    return and_(replaced, ~current)


def count_superseded(session: Session, cutoff: datetime) -> int:
    """Consent records out of force for longer than the proof period."""
    stmt = select(func.count()).select_from(ConsentRecord).where(_superseded(cutoff))
    return _count(session, stmt)


def delete_superseded(session: Session, cutoff: datetime) -> int:
    """Delete those records; each current decision keeps its own."""
    ids = list(session.scalars(select(ConsentRecord.id).where(_superseded(cutoff))))
    if not ids:
        return 0
    # In chunks: a bound-parameter list has limits on every store.
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        session.execute(delete(ConsentRecord).where(ConsentRecord.id.in_(chunk)))
    return len(ids)


def _refusal_details(cutoff: datetime) -> ColumnElement[bool]:
    """Current records of a refusal or withdrawal, older than ``cutoff``, still holding the
    IP address or user agent."""
    current = exists().where(ConsentState.record_id == ConsentRecord.id)
    return and_(
        current,
        ConsentRecord.decision != "granted",
        ConsentRecord.recorded_at < cutoff,
        (ConsentRecord.ip.is_not(None)) | (ConsentRecord.user_agent.is_not(None)),
    )


def count_reducible(session: Session, cutoff: datetime) -> int:
    """Current refusals whose browser details are no longer needed."""
    stmt = select(func.count()).select_from(ConsentRecord).where(_refusal_details(cutoff))
    return _count(session, stmt)


def reduce_refusals(session: Session, cutoff: datetime) -> int:
    """Drop the IP address and user agent of those records; the decision, notice, method and
    time stay as proof of the current state."""
    stmt = (
        update(ConsentRecord)
        .where(_refusal_details(cutoff))
        .values(ip=None, user_agent=None)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(session.execute(stmt))
