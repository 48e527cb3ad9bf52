"""All SQL of the consent ledger's notices, decision writes and reads across a purpose."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import String, Table, Text, and_, bindparam, case, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ombud.models.consent import (
    ConsentAccessCode,
    ConsentNotice,
    ConsentPending,
    ConsentRecord,
    ConsentState,
)
from ombud.models.datamap import DataMapVersion

# Identities per query on SQLite, which allows 32,766 variables.
CHECK_CHUNK = 20_000


def latest_datamap_id(session: Session) -> str | None:
    """Id of the latest applied data map version."""
    return session.execute(_latest_datamap()).scalar()


@cache
def _latest_datamap() -> Any:
    # Asked on every decision: a Core select built once skips the ORM's per-call work.
    versions: Table = DataMapVersion.__table__  # type: ignore[assignment]
    return select(versions.c.id).order_by(versions.c.number.desc()).limit(1)


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
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.scalars(select(ConsentNotice).where(ConsentNotice.id.in_(wanted)))
    return {n.id: n for n in rows}


def add(session: Session, obj: Any) -> None:
    """Insert one ORM object and flush so its id and constraints are checked now."""
    session.add(obj)
    session.flush()


_RECORDS: Table = ConsentRecord.__table__  # type: ignore[assignment]
_STATES: Table = ConsentState.__table__  # type: ignore[assignment]
_STATE_COLUMNS = (
    "purpose",
    "subject_hash",
    "subject_kind",
    "subject",
    "decision",
    "method",
    "record_id",
    "updated_at",
    "gpc_at",
)


def _insert_with_conflicts(dialect: str, table: Any) -> Any:
    """An INSERT that takes ``ON CONFLICT`` clauses (PostgreSQL and SQLite have their own)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _upsert(dialect: str) -> Any:
    """``INSERT INTO consent_states ... ON CONFLICT DO UPDATE`` that never moves a state back."""
    ins = _insert_with_conflicts(dialect, _STATES)
    excluded = ins.excluded
    changes = {
        "subject_kind": excluded.subject_kind,
        "decision": excluded.decision,
        "method": excluded.method,
        "record_id": excluded.record_id,
        "updated_at": excluded.updated_at,
        # Keep a raw identity once known; erasure nulls it explicitly.
        "subject": func.coalesce(excluded.subject, _STATES.c.subject),
        "gpc_at": func.coalesce(excluded.gpc_at, _STATES.c.gpc_at),
    }
    return ins, changes


def _on_conflict(ins: Any, changes: dict[str, Any]) -> Any:
    return ins.on_conflict_do_update(
        index_elements=[_STATES.c.purpose, _STATES.c.subject_hash],
        set_=changes,
        # Concurrent writers: the record with the higher sequence is the last decision.
        where=_STATES.c.record_id < ins.excluded.record_id,
    )


def append_one(
    session: Session, row: dict[str, Any], *, map_version: str | None = None
) -> int | None:
    """Append one record and upsert its state; return the record id.

    With ``map_version`` the record is written only while that data map version ("" for
    none) is the latest, checked in the same statement; None when it no longer is. The hot
    path of single decisions: on PostgreSQL one statement (the record insert as a CTE feeding
    the state upsert) writes both in one round trip."""
    checked = map_version is not None
    params = row | {"map_version": map_version or None} if checked else row
    if session.get_bind().dialect.name != "postgresql":
        found = session.execute(_insert_record(checked), params).scalar()
        if found is None:
            return None
        upsert_states(session, [_state_row(row, int(found))])
        return int(found)
    found = session.execute(_append_one_pg(checked), params).scalar()
    return None if found is None else int(found)


def _record_insert(checked: bool) -> Any:
    """INSERT of one record; ``checked``: only while the data map version is the latest."""
    columns = [c for c in _RECORDS.c if c.name != "id"]
    if not checked:
        return insert(_RECORDS).values({c.name: bindparam(c.name, type_=c.type) for c in columns})
    latest = _latest_datamap().scalar_subquery()
    values = select(*[bindparam(c.name, type_=c.type) for c in columns]).where(
        latest.is_not_distinct_from(bindparam("map_version", type_=String()))
    )
    return insert(_RECORDS).from_select([c.name for c in columns], values)


@cache
def _insert_record(checked: bool) -> Any:
    # Built once: building these statements costs more than running them.
    return _record_insert(checked).returning(_RECORDS.c.id)


def _state_source(rec: Any) -> Any:
    """The state columns (``_STATE_COLUMNS``) from the records of a ``rec`` CTE that returned
    them: ``gpc_at`` is set by a GPC decision."""
    gpc = case((rec.c.method == "gpc", rec.c.recorded_at), else_=None)
    return select(
        rec.c.purpose,
        rec.c.subject_hash,
        rec.c.subject_kind,
        rec.c.subject,
        rec.c.decision,
        rec.c.method,
        rec.c.id,
        rec.c.recorded_at,
        gpc,
    )


@cache
def _append_one_pg(checked: bool) -> Any:
    rec = _record_insert(checked).returning(*_RECORDS.c).cte("rec")
    ins, changes = _upsert("postgresql")
    state = _on_conflict(ins.from_select(list(_STATE_COLUMNS), _state_source(rec)), changes)
    state = state.cte("state")
    return select(rec.c.id).add_cte(state)


def _state_row(row: dict[str, Any], rid: int) -> dict[str, Any]:
    at = row["recorded_at"]
    return {
        "purpose": row["purpose"],
        "subject_hash": row["subject_hash"],
        "subject_kind": row["subject_kind"],
        "subject": row["subject"],
        "decision": row["decision"],
        "method": row["method"],
        "record_id": rid,
        "updated_at": at,
        "gpc_at": at if row["method"] == "gpc" else None,
    }


def append_many(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Append records in one executemany and upsert the last decision per subject and purpose."""
    stmt = insert(_RECORDS).returning(_RECORDS.c.id, sort_by_parameter_order=True)
    ids = [int(r[0]) for r in session.execute(stmt, list(rows))]
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for row, rid in zip(rows, ids, strict=True):
        # Several decisions for one subject and purpose in a batch: the last one is the state.
        latest[(row["purpose"], row["subject_hash"])] = _state_row(row, rid)
    upsert_states(session, list(latest.values()))
    return ids


def upsert_states(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or replace current states; a state never moves back to an older record."""
    if not rows:
        return
    stmt = _upsert_states(session.get_bind().dialect.name)
    session.execute(stmt, rows[0] if len(rows) == 1 else list(rows))


@cache
def _upsert_states(dialect: str) -> Any:
    return _on_conflict(*_upsert(dialect))


def get_state(session: Session, subject_hash: str, purpose: str) -> ConsentState | None:
    """Current state of one subject for one purpose."""
    return session.get(ConsentState, (purpose, subject_hash))


def record_by_receipt(session: Session, receipt_id: str) -> ConsentRecord | None:
    """The record with this receipt id."""
    return session.scalar(select(ConsentRecord).where(ConsentRecord.receipt_id == receipt_id))


def granted_positions(session: Session, purpose: str, hashes: Sequence[str]) -> list[int]:
    """Positions in ``hashes`` (0-based, ascending) of subjects granted for ``purpose``."""
    if session.get_bind().dialect.name == "postgresql":
        return _granted_positions_pg(session, purpose, hashes)
    found: set[str] = set()
    ordered = sorted(set(hashes))  # neighbouring keys: each chunk walks one part of the index
    for start in range(0, len(ordered), CHECK_CHUNK):
        stmt = select(ConsentState.subject_hash).where(
            ConsentState.purpose == purpose,
            ConsentState.decision == "granted",
            ConsentState.subject_hash.in_(ordered[start : start + CHECK_CHUNK]),
        )
        found.update(session.scalars(stmt))
    return [i for i, h in enumerate(hashes) if h in found]


def _granted_positions_pg(session: Session, purpose: str, hashes: Sequence[str]) -> list[int]:
    # One array parameter joined to the partial index: for large lists PostgreSQL sorts the
    # array and merge-joins it with one pass over the purpose's part of the index, far cheaper
    # than one index probe per identity. Positions come back instead of 64-character hashes.
    # A generic cached plan would assume a 10-element array and probe; force a custom plan.
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    if len(hashes) > 10_000:  # sort the array in memory, not in temporary files
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    # Hex hashes joined into one string and split by the server: adapting a 100,000-element
    # array parameter costs the client more than the whole query.
    joined = bindparam("hashes", ",".join(hashes), type_=Text())
    wanted = (
        func.unnest(func.string_to_array(joined, ","))
        .table_valued("value", with_ordinality="position")
        .render_derived(name="wanted")
    )
    stmt = (
        select(wanted.c.position)
        .join(
            ConsentState,
            and_(
                ConsentState.purpose == purpose,
                ConsentState.decision == "granted",
                ConsentState.subject_hash == wanted.c.value,
            ),
        )
        .order_by(wanted.c.position)
    )
    return [int(p) - 1 for p in session.scalars(stmt)]


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


def count_rows(session: Session) -> dict[str, int]:
    """Row counts of the consent tables (for tests and the benchmark)."""
    out: dict[str, int] = {}
    for model in (ConsentNotice, ConsentRecord, ConsentState, ConsentPending, ConsentAccessCode):
        out[model.__tablename__] = int(session.scalar(select(func.count()).select_from(model)) or 0)
    return out


def insert_notice(session: Session, row: dict[str, Any]) -> bool:
    """Insert a notice version unless its version or its text exists already; True if inserted."""
    ins = _insert_with_conflicts(session.get_bind().dialect.name, ConsentNotice)
    # Two workers creating the same version at once: the second one waits for the first to
    # commit, then inserts nothing instead of failing on the unique key.
    stmt = ins.values(**row).on_conflict_do_nothing().returning(ConsentNotice.id)
    return session.execute(stmt).scalar() is not None


def states_by_hash_prefix(session: Session, purpose: str, prefix: str) -> list[ConsentState]:
    """States of ``purpose`` whose subject hash starts with the hex ``prefix`` (an index range)."""
    pad = 64 - len(prefix)
    stmt = select(ConsentState).where(
        ConsentState.purpose == purpose,
        ConsentState.subject_hash.between(prefix + "0" * pad, prefix + "f" * pad),
    )
    return list(session.scalars(stmt))
