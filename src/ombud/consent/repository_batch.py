"""SQL of the ledger's batch writes on PostgreSQL: records and states in one statement.

A batch of decisions (the group commit, bulk decisions) is one round trip: the records come
as one array per column, are inserted in their order (so their ids follow it) only while the
data map version is the latest, and feed the upsert of the states in the same statement. The
SQL text does not depend on the batch size, so psycopg prepares it once per connection."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import JSON, Column, String, Text, bindparam, cast, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from ombud.consent.repository import (
    _RECORDS,
    _STATE_COLUMNS,
    _latest_datamap,
    _on_conflict,
    _state_source,
    _upsert,
)


def append_batch(
    session: Session, rows: Sequence[dict[str, Any]], *, map_version: str | None
) -> list[int] | None:
    """Append records in order and upsert the last decision per subject and purpose; the ids.

    With ``map_version`` only while that data map version ("" for none) is the latest, else
    None with nothing written (as ``repository.append_one``)."""
    params: dict[str, Any] = {name: [r[name] for r in rows] for name in _columns()}
    params["evidence"] = [json.dumps(r["evidence"]) for r in rows]
    checked = map_version is not None
    if checked:
        params["map_version"] = map_version or None
    found = {rid: int(i) for i, rid in session.execute(_statement(checked), params)}
    if not found:
        return None
    return [found[r["receipt_id"]] for r in rows]


@cache
def _columns() -> tuple[str, ...]:
    return tuple(c.name for c in _RECORDS.c if c.name != "id")


def _array(column: Column[Any]) -> Any:
    # JSON travels as text (one serialisation, ours) and is cast back in the statement.
    item = Text() if isinstance(column.type, JSON) else column.type
    return bindparam(column.name, type_=postgresql.ARRAY(item))


@cache
def _statement(checked: bool) -> Any:
    # Built once: building it costs more than running it.
    columns = [c for c in _RECORDS.c if c.name != "id"]
    source = (
        func.unnest(*[_array(c) for c in columns])
        .table_valued(*[c.name for c in columns], with_ordinality="position")
        .render_derived(name="source")
    )
    values = [
        cast(source.c[c.name], JSON) if isinstance(c.type, JSON) else source.c[c.name]
        for c in columns
    ]
    ordered = select(*values).order_by(source.c.position)
    if checked:
        latest = _latest_datamap().scalar_subquery()
        ordered = ordered.where(
            latest.is_not_distinct_from(bindparam("map_version", type_=String()))
        )
    insert = postgresql.insert(_RECORDS).from_select([c.name for c in columns], ordered)
    kept = ("id", "receipt_id", *_STATE_COLUMNS[:6], "recorded_at")
    rec = insert.returning(*[_RECORDS.c[name] for name in kept]).cte("rec")
    # Several decisions of one subject and purpose in a batch: the last one is the state.
    last = (
        _state_source(rec)
        .ext(postgresql.distinct_on(rec.c.purpose, rec.c.subject_hash))
        .order_by(rec.c.purpose, rec.c.subject_hash, rec.c.id.desc())
    )
    ins, changes = _upsert("postgresql")
    state = _on_conflict(ins.from_select(list(_STATE_COLUMNS), last), changes).cte("state")
    return select(rec.c.id, rec.c.receipt_id).add_cte(state)
