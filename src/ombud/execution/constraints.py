"""Whether erasure can write what its strategies produce, decided before anything is written.

Each column's constraints are read from the database (``Connector.columns``) and kept per data
map version. A strategy is refused when the database would refuse its value, or when writing it
would break what the column means: NULL into a NOT NULL or primary-key column (or a unique one
that treats NULLs as equal), any rewrite of a primary key, one fixed string into a unique
column, a string longer than the column, or a string into a column of another type."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ombud.connectors.base import ColumnInfo, Connector
from ombud.errors import InvalidInput
from ombud.execution.masking import TEXT_ONLY, Strategy
from ombud.execution.planner import CollectionPlan, FieldPlan, Plan
from ombud.execution.reading import ConnectorPool

# Kinds of column a string can be written to (``any``: SQLite columns declared without a type).
TEXT_KINDS = frozenset({"text", "any"})
_VERSIONS_KEPT = 4


@dataclass(frozen=True)
class Unwritable:
    """A field whose erasure strategy its column cannot take."""

    collection: str  # dataset.collection
    field: str
    strategy: str  # as the plan describes it, with where it came from
    constraint: str  # what the database says, in words

    def __str__(self) -> str:
        return (
            f"{self.collection}.{self.field}: erasure strategy {self.strategy} cannot be written: "
            f"{self.constraint}"
        )


class StrategyRefused(InvalidInput):
    """An erasure strategy cannot be written to its column; nothing was changed."""

    code = "strategy_refused"

    def __init__(self, problems: list[Unwritable]) -> None:
        lines = [str(p) for p in problems]
        super().__init__(
            "erasure refused before any change: "
            + "; ".join(lines)
            + " (give the field a masking_strategy_override its column can take, or change the "
            "policy's erasure rule, then retry)",
            detail=lines,
        )
        self.problems = problems


# ------------------------------------------------------------------ reading columns, cached
_lock = threading.Lock()
_cache: OrderedDict[str, dict[tuple[Any, str], dict[str, ColumnInfo]]] = OrderedDict()


def table_columns(
    conn: Connector, table: str, *, version: str | None = None
) -> dict[str, ColumnInfo]:
    """The columns of ``table`` on ``conn``; kept per data map ``version`` (read every time
    without one). The key includes the expanded URL: one map may point at other databases."""
    if version is None:
        return conn.columns(table)
    key = (conn.url, table)
    with _lock:
        known = _cache.get(version, {}).get(key)
    if known is not None:
        return known
    columns = conn.columns(table)
    with _lock:
        _cache.setdefault(version, {})[key] = columns
        _cache.move_to_end(version)
        while len(_cache) > _VERSIONS_KEPT:
            _cache.popitem(last=False)
    return columns


def forget(version: str | None = None) -> None:
    """Drop what is cached (for one version, or all)."""
    with _lock:
        if version is None:
            _cache.clear()
        else:
            _cache.pop(version, None)


# ------------------------------------------------------------------ checking strategies
def output_length(strategy: Strategy) -> int | None:
    """How many characters a text strategy writes; None when not known in advance."""
    conf = strategy.configuration
    suffix = str((conf.get("format_preservation") or {}).get("suffix") or "")
    if strategy.name == "fixed":
        value = str(conf.get("rewrite_value", "MASKED"))
        return len(value) + (len(suffix) if suffix and not value.endswith(suffix) else 0)
    if strategy.name == "random":
        return int(conf.get("length", 16)) + len(suffix)
    if strategy.name in ("hmac", "hash"):
        algorithm = str(conf.get("algorithm", "SHA-256")).replace("-", "").lower()
        try:
            size = hashlib.new(algorithm).digest_size
        except (ValueError, TypeError):
            return None
        return 2 * size + len(suffix)
    return None


def check_field(strategy: Strategy, column: ColumnInfo) -> str | None:
    """Why ``column`` cannot take what ``strategy`` writes; None when it can."""
    where = f"column {column.name} ({column.type or 'no type'})"
    if column.primary_key:
        return f"{where} is part of the primary key"
    if strategy.name == "null":
        if not column.nullable:
            return f"{where} is NOT NULL"
        if column.unique and not column.nulls_distinct:
            return f"{where} is UNIQUE NULLS NOT DISTINCT"
        return None
    if strategy.name not in TEXT_ONLY:
        return None
    if column.kind not in TEXT_KINDS:
        return f"{where} holds {column.kind} values, not text"
    if strategy.name == "fixed" and column.unique:
        return f"{where} is UNIQUE: one fixed value cannot be written on several rows"
    if strategy.name in ("hmac", "hash"):
        algorithm = str(strategy.configuration.get("algorithm", "SHA-256"))
        if output_length(strategy) is None:
            return f"unknown hash algorithm '{algorithm}'"
    length = output_length(strategy)
    if column.max_length is not None and length is not None and length > column.max_length:
        return f"{where} takes at most {column.max_length} characters; the strategy writes {length}"
    return None


def written(step: CollectionPlan) -> Iterable[FieldPlan]:
    """Fields erasure may rewrite: every erasable field not held on all its rows."""
    for f in step.fields:
        if f.erasable and f.strategy is not None and (f.hold is None or f.hold.timed):
            yield f


def describe(strategy: Strategy) -> str:
    """The strategy and where it came from (override, policy rule, default)."""
    return f"{strategy.describe()} (from {strategy.source})"


def check_step(step: CollectionPlan, columns: dict[str, ColumnInfo]) -> list[Unwritable]:
    """Every field of one collection whose strategy its column cannot take."""
    if step.erasure_action() == "delete":
        return []
    out: list[Unwritable] = []
    for f in written(step):
        assert f.strategy is not None
        if "." in f.name:
            continue  # a nested field of a document store: no column to check
        if not columns:
            out.append(
                Unwritable(
                    step.name,
                    f.name,
                    describe(f.strategy),
                    f"table {step.table} does not exist in connection '{step.connection}'",
                )
            )
            break
        column = columns.get(f.name)
        if column is None:
            why = f"table {step.table} has no column {f.name}"
        else:
            why = check_field(f.strategy, column) or ""
        if why:
            out.append(Unwritable(step.name, f.name, describe(f.strategy), why))
    return out


def to_check(plan: Plan) -> list[CollectionPlan]:
    """Collections whose columns erasure writes (not those it deletes or leaves alone)."""
    return [s for s in plan.steps if s.erasure_action() != "delete" and any(written(s))]


def unwritable(plan: Plan, pool: ConnectorPool, *, version: str | None = None) -> list[Unwritable]:
    """Every erasure strategy of ``plan`` its column cannot take (reads each table's columns)."""
    out: list[Unwritable] = []
    for step in to_check(plan):
        columns = table_columns(pool.get(step.connection), step.table, version=version)
        out.extend(check_step(step, columns))
    return out


def refuse_unwritable(plan: Plan, pool: ConnectorPool, *, version: str | None = None) -> None:
    """Raise ``StrategyRefused`` naming every strategy that cannot be written."""
    problems = unwritable(plan, pool, version=version)
    if problems:
        raise StrategyRefused(problems)
