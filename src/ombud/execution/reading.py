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
from ombud.connectors import idle
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
    """Opens one connector per named connection, on first use; closes them all at the end
    (``reuse``: hands them back to the process's idle connectors instead)."""

    def __init__(
        self, datamap: DataMap, extra: dict[str, str] | None = None, *, reuse: bool = False
    ) -> None:
        self.connections = {c.name: c for c in datamap.connection}
        for name, url in (extra or {}).items():
            self.connections.setdefault(name, Connection(name=name, url=url))
        self.open: dict[str, Connector] = {}
        self.reuse = reuse

    def get(self, name: str) -> Connector:
        """The connector of connection ``name``."""
        if name not in self.open:
            connection = self.connections.get(name)
            if connection is None:
                raise InvalidInput(
                    f"connection '{name}' is used by a dataset but not defined "
                    "(add it under 'connection:' in the data map or OMBUD_CONNECTIONS)"
                )
            self.open[name] = (
                idle.take(connection, connector_for) if self.reuse else connector_for(connection)
            )
        return self.open[name]

    def close(self) -> None:
        """Roll back anything open and close every connector (or keep it, rolled back)."""
        if self.reuse:
            for name, conn in self.open.items():
                idle.give_back(self.connections[name], conn)
            self.open.clear()
            return
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
    given: dict[Any, Set[str]] | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    """Unit of work: one query for one collection and a whole batch; rows per request id.

    ``seeds`` maps each query field to {value: request ids}; plain-data arguments, so a job
    queue can run this unit anywhere. ``given`` (row key -> request ids) carries the rows found
    by earlier rounds: a row goes to each request once."""
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
    if given is None:
        given = {}
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


class Frontier:
    """The values one collection's query fields were searched with, per request, and the new
    ones found since (searched in the next round). A value is searched once per request: that
    is what ends the traversal, cycles included."""

    __slots__ = ("asked", "pending")

    def __init__(self, fields: Sequence[str]) -> None:
        # field -> value -> request ids searched with it. Exact values, not case-folded: on a
        # case-sensitive database "Ann@x" and "ann@x" find different rows.
        self.asked: dict[str, dict[Any, set[str]]] = {f: {} for f in fields}
        # field -> value -> request ids still to search with it
        self.pending: dict[str, defaultdict[Any, set[str]]] = {f: defaultdict(set) for f in fields}

    def offer(self, field: str, found: dict[str, list[tuple[Any, ...]]], at: int) -> None:
        """Queue ``row[at]`` of each request's new rows as a value of ``field``, unless it is
        missing, blank or already searched for that request."""
        asked, pending = self.asked[field], self.pending[field]
        for rid, rows in found.items():
            for row in rows:
                value = row[at]
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue  # a blank never seeds a search: it would match strangers' rows
                done = asked.get(value)
                if done is None or rid not in done:
                    pending[value].add(rid)

    def take(self) -> dict[str, dict[Any, set[str]]] | None:
        """The queued values (now counted as searched), or None when nothing is new."""
        if not any(self.pending.values()):
            return None
        seeds = self.pending
        self.pending = {f: defaultdict(set) for f in seeds}
        for f, vals in seeds.items():
            asked = self.asked[f]
            for v, ids in vals.items():
                asked.setdefault(v, set()).update(ids)
        return dict(seeds)

    def searched(self, field: str, found: dict[str, list[tuple[Any, ...]]], at: int) -> None:
        """Count the unique ``field`` (``row[at]``) of found rows as searched: a reference back
        to a primary key of rows already found finds nothing new."""
        asked = self.asked[field]
        for rid, rows in found.items():
            for row in rows:
                asked.setdefault(row[at], set()).add(rid)


def _seed_identities(
    plan: Plan, specs: Sequence[RequestSpec], frontiers: dict[str, Frontier]
) -> None:
    """The requests' identities as the first values searched (blank ones never are)."""
    identities = [(s.id, identity_values(s.identities)) for s in specs]
    for step in plan.steps:
        for fname, kind in step.identities.items():
            given = {rid: [(values[kind],)] for rid, values in identities if kind in values}
            frontiers[step.name].offer(fname, given, 0)


def collect(
    plan: Plan,
    specs: Sequence[RequestSpec],
    pool: ConnectorPool,
    *,
    progress: Callable[[CollectionPlan], None] | None = None,
    now: datetime | None = None,
    by_reference: bool = False,
) -> Found:
    """Find every row any chain of references leads to from the batch's identities.

    Rounds read the collections in plan order, one query per collection with the values found
    since its last query (a collection later in the order uses what earlier ones found in the
    same round), until a round finds no new value; a tree of references takes one round.

    A batch of erasures only reads what erasure needs, and with ``by_reference`` it only counts
    the rows of collections it can erase by their reference field (``reference_field``). With
    any erasure in the batch, rows carry their timed holds' flags, computed by the database
    from ``now``."""
    erasing = any(s.type in ERASURE_TYPES for s in specs)
    narrow = all(s.type in ERASURE_TYPES for s in specs)
    moment = now or utcnow()
    found = Found()
    frontiers = {step.name: Frontier(step.query_fields) for step in plan.steps}
    for step in plan.steps:
        found.columns[step.name] = step.erasure_columns if narrow else step.columns
        found.rows[step.name] = {}
    # Where each collection's rows lead: (column index, frontier, field) per outgoing edge.
    leads: dict[str, list[tuple[int, Frontier, str]]] = defaultdict(list)
    for dst in plan.steps:
        for edge in dst.incoming:
            src = f"{edge.src.dataset}.{edge.src.collection}"
            at = found.columns[src].index(edge.src.field)
            leads[src].append((at, frontiers[dst.name], edge.dst.field))
    _seed_identities(plan, specs, frontiers)
    givens: dict[str, dict[Any, Set[str]]] = {step.name: {} for step in plan.steps}
    while True:
        searched = False
        for step in plan.steps:
            seeds = frontiers[step.name].take()
            if seeds is None:
                continue
            searched = True
            reference = step.reference_field if by_reference and narrow else None
            if reference is not None:
                _count_into(found, pool, step, reference, seeds[reference])
            else:
                ended = ended_columns(step, moment) if erasing and step.timed_holds else None
                new = collect_collection(
                    pool, step, seeds, found.columns[step.name], ended, givens[step.name]
                )
                _found(found, step, new, frontiers[step.name])
                for at, frontier, field_name in leads[step.name]:
                    frontier.offer(field_name, new, at)
            if progress is not None:
                progress(step)
        if not searched:
            break
    for conn in pool.open.values():
        conn.rollback()  # reads only: end the transaction, release snapshots
    return found


def _found(
    found: Found, step: CollectionPlan, new: dict[str, list[tuple[Any, ...]]], frontier: Frontier
) -> None:
    """Add a round's new rows of ``step`` to ``found``."""
    rows = found.rows[step.name]
    if not rows:
        found.rows[step.name] = new  # the first round: nothing to merge
    else:
        for rid, more in new.items():
            rows.setdefault(rid, []).extend(more)
    pk = step.primary_key
    if pk is not None and pk in frontier.asked:
        frontier.searched(pk, new, found.columns[step.name].index(pk))


def _count_into(
    found: Found,
    pool: ConnectorPool,
    step: CollectionPlan,
    field_name: str,
    seeds: dict[Any, set[str]],
) -> None:
    """Count a round's rows of a collection erased by reference, adding to earlier rounds."""
    values, counts = count_collection(pool, step, field_name, seeds)
    before = found.refs.get(step.name)
    if before is not None:
        for rid, more in before[1].items():
            values[rid][:0] = more
        for rid, n in before[2].items():
            counts[rid] += n
    found.refs[step.name] = (field_name, values, counts)
