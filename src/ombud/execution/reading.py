"""Reading a batch: one query per collection for all its requests, rows kept as tuples.

Erasure-only batches read only the columns erasure needs, flag rows whose legal hold has ended
(the database compares the timestamps), and only count the rows of collections they can erase
through the field that reached them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ombud.clock import utcnow
from ombud.connectors.base import Connector, connector_for
from ombud.datamap.schemas import Connection, DataMap
from ombud.errors import InvalidInput
from ombud.execution.changes import Row
from ombud.execution.planner import ERASURE_TYPES, CollectionPlan, Plan, identity_values


@dataclass(frozen=True)
class RequestSpec:
    """What the engine needs of a request."""

    id: str
    type: str
    identities: dict[str, str]
    rectification: dict[str, Any] | None = None


class ConnectorPool:
    """Opens one connector per named connection, on first use; closes them all at the end."""

    def __init__(self, datamap: DataMap, extra: dict[str, str] | None = None) -> None:
        self.connections = {c.name: c for c in datamap.connection}
        for name, url in (extra or {}).items():
            self.connections.setdefault(name, Connection(name=name, url=url))
        self.open: dict[str, Connector] = {}

    def get(self, name: str) -> Connector:
        """The connector of connection ``name``."""
        if name not in self.open:
            connection = self.connections.get(name)
            if connection is None:
                raise InvalidInput(
                    f"connection '{name}' is used by a dataset but not defined "
                    "(add it under 'connection:' in the data map or OMBUD_CONNECTIONS)"
                )
            self.open[name] = connector_for(connection)
        return self.open[name]

    def close(self) -> None:
        """Roll back anything open and close every connector."""
        for conn in self.open.values():
            try:
                conn.rollback()
            finally:
                conn.close()
        self.open.clear()

    def __enter__(self) -> ConnectorPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


@dataclass
class Found:
    """Rows found for a batch: per collection, per request id, tuples of ``columns``.

    Erasure reads fewer columns than access, and each row ends with one truth value per timed
    legal hold of its collection (true when the hold's period has ended for that row)."""

    columns: dict[str, list[str]] = field(default_factory=dict)
    rows: dict[str, dict[str, list[tuple[Any, ...]]]] = field(default_factory=dict)
    # Collections erased by reference (not read): (field, its values per request, rows per
    # request).
    refs: dict[str, tuple[str, dict[str, list[Any]], dict[str, int]]] = field(default_factory=dict)

    def of(self, request_id: str, collection: str) -> Sequence[tuple[Any, ...]]:
        """One request's rows of one collection."""
        return self.rows[collection].get(request_id, ())

    def dicts(self, request_id: str) -> dict[str, list[Row]]:
        """One request's rows of every collection as ``{column: value}`` (no hold flags)."""
        return {
            name: [dict(zip(self.columns[name], r, strict=False)) for r in by.get(request_id, ())]
            for name, by in self.rows.items()
        }


def ended_columns(step: CollectionPlan, now: datetime) -> dict[str, tuple[str, datetime]]:
    """The computed hold flags of ``step`` for ``Connector.fetch``, in ``timed_holds`` order."""
    out: dict[str, tuple[str, datetime]] = {}
    for i, hold in enumerate(step.timed_holds):
        assert hold.timestamp_field is not None
        out[f"ended_{i}"] = (hold.timestamp_field, hold.cutoff(now).replace(tzinfo=None))
    return out


def collect_collection(
    pool: ConnectorPool,
    step: CollectionPlan,
    seeds: dict[str, dict[Any, set[str]]],
    columns: Sequence[str],
    ended: dict[str, tuple[str, datetime]] | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    """Unit of work: one query for one collection and a whole batch; rows per request id.

    ``seeds`` maps each query field to {value: request ids}; plain-data arguments, so a job
    queue can run this unit anywhere."""
    where = {f: list(vals) for f, vals in seeds.items() if vals}
    out: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    if not where:
        return out
    at = {c: i for i, c in enumerate(columns)}
    fields: list[tuple[int, dict[Any, set[str]], bool]] = []
    for f, vals in seeds.items():
        lookup: dict[Any, set[str]] = {}
        for v, ids in vals.items():
            lookup.setdefault(_norm(v), set()).update(ids)
        fields.append((at[f], lookup, any(isinstance(v, str) for v in lookup)))
    key_at = at.get(step.primary_key) if step.primary_key else None
    # Rows seen, with the requests they went to: a row matching values of two fields (or two
    # values that the database's collation makes equal) can come back more than once.
    given: dict[Any, Set[str]] = {}
    nobody: frozenset[str] = frozenset()
    for row in pool.get(step.connection).fetch(step.table, where, columns, ended=ended):
        owners: Set[str] = nobody
        for i, lookup, text in fields:
            value = row[i]
            if text and isinstance(value, str):
                value = value.casefold()
            owners = owners | lookup.get(value, nobody) if owners else lookup.get(value, nobody)
        identity = row[key_at] if key_at is not None else row
        before = given.get(identity)
        if before is None:
            given[identity] = owners  # never changed in place: it may be a lookup's set
        else:
            owners = owners - before
            given[identity] = before | owners
        for owner in owners:
            out[owner].append(row)
    return out


def count_collection(
    pool: ConnectorPool, step: CollectionPlan, field: str, seeds: dict[Any, set[str]]
) -> tuple[dict[str, list[Any]], dict[str, int]]:
    """Unit of work: one counting query for a collection erased by reference; (values, rows)
    per request id."""
    values: dict[str, list[Any]] = defaultdict(list)
    lookup: dict[Any, set[str]] = {}
    for v, ids in seeds.items():
        lookup.setdefault(_norm(v), set()).update(ids)
        for rid in ids:
            values[rid].append(v)
    counts: dict[str, int] = defaultdict(int)
    if seeds:
        for stored, n in pool.get(step.connection).count(step.table, field, list(seeds)).items():
            for rid in lookup.get(_norm(stored), ()):
                counts[rid] += n
    return values, counts


def collect(
    plan: Plan,
    specs: Sequence[RequestSpec],
    pool: ConnectorPool,
    *,
    progress: Callable[[CollectionPlan], None] | None = None,
    now: datetime | None = None,
    by_reference: bool = False,
) -> Found:
    """Traverse the plan for every request of the batch.

    A batch of erasures only reads what erasure needs, and with ``by_reference`` it only counts
    the rows of collections it can erase by their reference field (``reference_field``). With
    any erasure in the batch, rows carry their timed holds' flags, computed by the database
    from ``now``."""
    erasing = any(s.type in ERASURE_TYPES for s in specs)
    narrow = all(s.type in ERASURE_TYPES for s in specs)
    moment = now or utcnow()
    found = Found()
    identities = [(s.id, identity_values(s.identities)) for s in specs]
    for step in plan.steps:
        columns = step.erasure_columns if narrow else step.columns
        seeds: dict[str, dict[Any, set[str]]] = {f: defaultdict(set) for f in step.query_fields}
        for fname, kind in step.identities.items():
            for rid, values in identities:
                value = values.get(kind)
                if value is not None:
                    seeds[fname][value].add(rid)
        for edge in step.incoming:
            src = f"{edge.src.dataset}.{edge.src.collection}"
            i, wanted = found.columns[src].index(edge.src.field), seeds[edge.dst.field]
            for rid, rows in found.rows[src].items():
                for row in rows:
                    if row[i] is not None:
                        wanted[row[i]].add(rid)
        found.columns[step.name] = columns
        reference = step.reference_field if by_reference and narrow else None
        if reference is not None:
            found.rows[step.name] = {}
            found.refs[step.name] = (
                reference,
                *count_collection(pool, step, reference, seeds[reference]),
            )
        else:
            ended = ended_columns(step, moment) if erasing and step.timed_holds else None
            found.rows[step.name] = collect_collection(pool, step, seeds, columns, ended)
        if progress is not None:
            progress(step)
    for conn in pool.open.values():
        conn.rollback()  # reads only: end the transaction, release snapshots
    return found
