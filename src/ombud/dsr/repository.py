"""All SQL of data subject requests."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, inspect, or_, select, update
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.attributes import set_committed_value

from ombud.models.base import new_id
from ombud.models.requests import PrivacyRequest, RequestMessage, RequestNote, VerificationCode

_DEADLINE = func.coalesce(PrivacyRequest.extended_due_on, PrivacyRequest.due_on)


def get(session: Session, request_id: str) -> PrivacyRequest | None:
    """The request with this id, or None."""
    return session.get(PrivacyRequest, request_id)


def get_for_update(session: Session, request_id: str) -> PrivacyRequest | None:
    """The request with this id, locked against concurrent changes."""
    held = held_lock(session, PrivacyRequest, request_id)
    if isinstance(held, PrivacyRequest):
        # Locked earlier in this transaction: the lock holds until it ends.
        return held
    stmt = select(PrivacyRequest).where(PrivacyRequest.id == request_id).with_for_update()
    found = session.scalars(stmt).first()
    if found is not None:
        note_lock(session, request_id, found)
    return found


_LOCKS = "ombud_locks"


def _held(session: Session) -> dict[SessionTransaction, dict[tuple[type, str], object]]:
    """Rows locked per transaction of the session (its root and its savepoints), held here
    too: the session's identity map alone would let them be collected and read again."""
    root = session.get_transaction()
    held = session.info.get(_LOCKS)
    if held is None or held[0] is not root:
        held = (root, {})
        session.info[_LOCKS] = held
    per_txn: dict[SessionTransaction, dict[tuple[type, str], object]] = held[1]
    return per_txn


# What ``held_lock`` answers for a row this transaction knows does not exist (``note_absent``).
ABSENT = object()


def held_lock(session: Session, model: type, key: str) -> object | None:
    """The row of ``model`` this transaction (or one it is a savepoint of) already locked
    (``note_lock``), ``ABSENT`` when it found none (``note_absent``), or None."""
    txn = session.get_nested_transaction() or session.get_transaction()
    if txn is None:
        return None
    per_txn = _held(session)
    # A savepoint rolled back releases the locks taken in it; those of the transactions it
    # sits in still hold.
    while txn is not None:
        row = per_txn.get(txn, {}).get((model, key))
        if row is ABSENT:
            return ABSENT
        if row is not None:
            state = inspect(row)
            return None if state.deleted or state.was_deleted or state.detached else row
        txn = txn.parent
    return None


def note_lock(session: Session, key: str, row: object) -> None:
    """Remember that this transaction locked ``row`` (``SELECT ... FOR UPDATE``)."""
    txn = session.get_nested_transaction() or session.get_transaction()
    if txn is not None:
        _held(session).setdefault(txn, {})[(type(row), key)] = row


def note_absent(session: Session, model: type, key: str) -> None:
    """Remember that this transaction found no row of ``model`` for ``key`` while holding the
    lock under which such rows are made."""
    txn = session.get_nested_transaction() or session.get_transaction()
    if txn is not None:
        _held(session).setdefault(txn, {})[(model, key)] = ABSENT


def lock_many(
    session: Session, request_ids: Sequence[str], *, skip_locked: bool = False
) -> dict[str, PrivacyRequest]:
    """Lock these requests in one statement (in id order, as every batch does, so two
    batches never wait on each other in a circle); the ones that exist, by id. With
    ``skip_locked``, rows another transaction holds are left out instead of waited for
    (PostgreSQL and MariaDB; SQLite lets one writer in at a time anyway)."""
    if not request_ids:
        return {}
    held = [held_lock(session, PrivacyRequest, rid) for rid in request_ids]
    rows = [row for row in held if isinstance(row, PrivacyRequest)]
    if len(rows) == len(held):
        # All locked earlier in this transaction (a claim going on to complete its batch):
        # the locks hold until it ends, and nothing else can have changed the rows.
        return {row.id: row for row in rows}
    stmt = (
        select(PrivacyRequest)
        .where(PrivacyRequest.id.in_(sorted(set(request_ids))))
        .order_by(PrivacyRequest.id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)
    )
    found = {r.id: r for r in session.scalars(stmt)}
    for rid, row in found.items():
        note_lock(session, rid, row)
    return found


def existing(session: Session, request_ids: Sequence[str]) -> set[str]:
    """Which of these requests exist (nothing locked)."""
    stmt = select(PrivacyRequest.id).where(PrivacyRequest.id.in_(list(request_ids)))
    return set(session.scalars(stmt))


def get_external(session: Session, *, source: str, external_id: str) -> PrivacyRequest | None:
    """The request a caller created under its own id (e.g. an OpenDSR subject_request_id)."""
    stmt = select(PrivacyRequest).where(
        PrivacyRequest.source == source, PrivacyRequest.external_id == external_id
    )
    return session.scalars(stmt).first()


_DEFERRED = "dsr_deferred_writes"


@contextmanager
def deferred_writes(session: Session) -> Iterator[None]:
    """Within the block, ``add`` and ``flush`` leave the rows to the next flush (a bulk
    intake's items are then written together, a statement per table, not five per item);
    rows get their id at once. The caller flushes at the end, where an error is its own."""
    session.info[_DEFERRED] = True
    try:
        yield
    finally:
        session.info.pop(_DEFERRED, None)


def flush(session: Session) -> None:
    """Write the session's changes now (left to the next flush within ``deferred_writes``)."""
    if not session.info.get(_DEFERRED):
        session.flush()


def add(
    session: Session, obj: PrivacyRequest | RequestMessage | RequestNote | VerificationCode
) -> None:
    """Insert a row (its id set now; written at once, or with the next flush within
    ``deferred_writes``)."""
    if obj.id is None:
        obj.id = new_id()
    session.add(obj)
    flush(session)


def count(session: Session) -> int:
    """How many requests the store holds."""
    return int(session.scalar(select(func.count()).select_from(PrivacyRequest)) or 0)


def ids_by_status(session: Session, status: str, *, limit: int | None = None) -> list[str]:
    """Ids of requests in ``status``, oldest deadline first."""
    stmt = (
        select(PrivacyRequest.id)
        .where(PrivacyRequest.status == status)
        .order_by(_DEADLINE.asc().nulls_last(), PrivacyRequest.received_at, PrivacyRequest.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def queue(session: Session, *, statuses: Sequence[str]) -> list[PrivacyRequest]:
    """Requests in ``statuses``, nearest deadline first."""
    stmt = (
        select(PrivacyRequest)
        .where(PrivacyRequest.status.in_(list(statuses)), PrivacyRequest.purged_at.is_(None))
        .order_by(_DEADLINE.asc().nulls_last(), PrivacyRequest.received_at, PrivacyRequest.id)
    )
    return list(session.scalars(stmt))


def messages(session: Session, request_id: str) -> list[RequestMessage]:
    """Messages sent about a request, oldest first."""
    stmt = (
        select(RequestMessage)
        .where(RequestMessage.request_id == request_id)
        .order_by(RequestMessage.sent_at, RequestMessage.id)
    )
    return list(session.scalars(stmt))


def notes(session: Session, request_id: str) -> list[RequestNote]:
    """Staff notes on a request, oldest first."""
    stmt = (
        select(RequestNote)
        .where(RequestNote.request_id == request_id)
        .order_by(RequestNote.created_at, RequestNote.id)
    )
    return list(session.scalars(stmt))


def live_code(session: Session, request_id: str) -> VerificationCode | None:
    """The newest code of a request that was neither used nor replaced."""
    stmt = (
        select(VerificationCode)
        .where(
            VerificationCode.request_id == request_id,
            VerificationCode.used_at.is_(None),
            VerificationCode.superseded_at.is_(None),
        )
        .order_by(VerificationCode.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    return session.scalars(stmt).first()


def recent_attempts(session: Session, request_id: str, *, since: datetime) -> int:
    """The most tries counted on an unused code of a request created after ``since``."""
    stmt = select(func.max(VerificationCode.attempts)).where(
        VerificationCode.request_id == request_id,
        VerificationCode.used_at.is_(None),
        VerificationCode.created_at > since,
    )
    return int(session.scalar(stmt) or 0)


def count_attempt(session: Session, code: VerificationCode) -> int:
    """Add one attempt in the database itself (no lost update); return the new count."""
    stmt = (
        update(VerificationCode)
        .where(VerificationCode.id == code.id)
        .values(attempts=VerificationCode.attempts + 1)
        .returning(VerificationCode.attempts)
        .execution_options(synchronize_session=False)
    )
    attempts = int(session.execute(stmt).scalar_one())
    set_committed_value(code, "attempts", attempts)
    return attempts


def supersede_codes(session: Session, request_id: str, *, at: datetime) -> None:
    """Mark every open code of a request as replaced."""
    session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.request_id == request_id,
            VerificationCode.used_at.is_(None),
            VerificationCode.superseded_at.is_(None),
        )
        .values(superseded_at=at)
    )


def closed_before(session: Session, cutoff: datetime) -> list[PrivacyRequest]:
    """Closed requests not yet purged whose closing is older than ``cutoff``."""
    stmt = (
        select(PrivacyRequest)
        .where(
            PrivacyRequest.closed_at.is_not(None),
            PrivacyRequest.closed_at < cutoff,
            PrivacyRequest.purged_at.is_(None),
        )
        .order_by(PrivacyRequest.closed_at)
    )
    return list(session.scalars(stmt))


def delete_personal_rows(session: Session, request_ids: Sequence[str]) -> None:
    """Delete messages, notes and codes of requests (they hold identities)."""
    ids = list(request_ids)
    for model in (RequestMessage, RequestNote, VerificationCode):
        session.execute(delete(model).where(model.request_id.in_(ids)))


def received_between(session: Session, start: datetime, end: datetime) -> list[PrivacyRequest]:
    """Requests received in ``[start, end)``."""
    stmt = (
        select(PrivacyRequest)
        .where(PrivacyRequest.received_at >= start, PrivacyRequest.received_at < end)
        .order_by(PrivacyRequest.received_at)
    )
    return list(session.scalars(stmt))


# Sort keys of the staff console's queue: column expressions, ties broken by id.
SORTS = {
    "deadline": _DEADLINE,
    "received": PrivacyRequest.received_at,
    "status": PrivacyRequest.status,
    "type": PrivacyRequest.type,
    "jurisdiction": PrivacyRequest.jurisdiction,
}


def search(
    session: Session,
    *,
    statuses: Sequence[str],
    types: Sequence[str] = (),
    jurisdiction: str | None = None,
    received_from: datetime | None = None,
    received_before: datetime | None = None,
    assignee_id: str | None = None,
    unassigned: bool = False,
    verified: bool | None = None,
    text: str | None = None,
    sort: str = "deadline",
    descending: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> tuple[list[PrivacyRequest], int]:
    """One page of requests matching the filters, and how many match in all."""
    where: list[ColumnElement[bool]] = [
        PrivacyRequest.status.in_(list(statuses)),
        PrivacyRequest.purged_at.is_(None),
    ]
    if types:
        where.append(PrivacyRequest.type.in_(list(types)))
    if jurisdiction:
        where.append(PrivacyRequest.jurisdiction == jurisdiction)
    if received_from is not None:
        where.append(PrivacyRequest.received_at >= received_from)
    if received_before is not None:
        where.append(PrivacyRequest.received_at < received_before)
    if verified is not None:
        seen = PrivacyRequest.verified_at
        where.append(seen.is_not(None) if verified else seen.is_(None))
    if unassigned:
        where.append(PrivacyRequest.assignee_id.is_(None))
    elif assignee_id:
        where.append(PrivacyRequest.assignee_id == assignee_id)
    if text:
        needle = text.strip().lower()
        where.append(
            or_(
                PrivacyRequest.email.contains(needle, autoescape=True),
                PrivacyRequest.id.startswith(needle, autoescape=True),
                PrivacyRequest.external_id == text.strip(),
            )
        )
    column = SORTS[sort]
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    stmt = (
        select(PrivacyRequest)
        .where(*where)
        .order_by(order, PrivacyRequest.received_at, PrivacyRequest.id)
        .offset(offset)
        .limit(limit)
    )
    total = session.scalar(select(func.count()).select_from(PrivacyRequest).where(*where))
    return list(session.scalars(stmt)), int(total or 0)


def count_by_status(session: Session) -> dict[str, int]:
    """How many unpurged requests are in each status."""
    stmt = (
        select(PrivacyRequest.status, func.count())
        .where(PrivacyRequest.purged_at.is_(None))
        .group_by(PrivacyRequest.status)
    )
    return {status: int(n) for status, n in session.execute(stmt)}


def open_deadlines(session: Session, *, statuses: Sequence[str]) -> list[PrivacyRequest]:
    """Requests in ``statuses`` that have a deadline (for the dashboard's counts)."""
    stmt = select(PrivacyRequest).where(
        PrivacyRequest.status.in_(list(statuses)), _DEADLINE.is_not(None)
    )
    return list(session.scalars(stmt))


def delete_request(session: Session, request: PrivacyRequest) -> None:
    """Delete a request and everything kept with it (codes, messages, notes)."""
    rid = request.id
    session.execute(delete(VerificationCode).where(VerificationCode.request_id == rid))
    session.execute(delete(RequestMessage).where(RequestMessage.request_id == rid))
    session.execute(delete(RequestNote).where(RequestNote.request_id == rid))
    session.delete(request)
    session.flush()


def ids_starting_with(session: Session, prefix: str, *, limit: int = 2) -> list[str]:
    """Up to ``limit`` request ids that begin with ``prefix`` (the caller checks its characters)."""
    stmt = (
        select(PrivacyRequest.id)
        .where(PrivacyRequest.id.like(f"{prefix}%"))
        .order_by(PrivacyRequest.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def count_expired_codes(session: Session, cutoff: datetime) -> int:
    """Verification codes that expired before ``cutoff`` (retention of Ombud's own data)."""
    stmt = select(func.count()).select_from(VerificationCode)
    return int(session.scalar(stmt.where(VerificationCode.expires_at < cutoff)) or 0)


def delete_expired_codes(session: Session, cutoff: datetime) -> int:
    """Delete those codes."""
    result = session.execute(delete(VerificationCode).where(VerificationCode.expires_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
