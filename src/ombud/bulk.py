"""Many rows into one table in one statement, and JSON written by orjson.

On PostgreSQL the rows travel as one JSON document, written by orjson in one call and taken
apart by the server: the statement's text is the same whatever the number of rows, so psycopg
and PostgreSQL parse it once per connection. SQLAlchemy's way (``INSERT ... VALUES`` with a
tuple of parameters per row when it returns columns, a pipelined statement per row otherwise)
writes a new text for every batch size, which psycopg splits and PostgreSQL parses anew, or
adapts every value of every row in Python; for the audit entries and execution steps of a
batch of requests that was a tenth of the runner's CPU (measured). Other databases, and rows
holding a value JSON cannot carry as it is, keep SQLAlchemy's way."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    Float,
    Integer,
    Row,
    String,
    Table,
    insert,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

# Types the standard library refuses and orjson would write (times, dataclasses) are refused
# here too, so no value is stored that was refused before. Subclasses of str, int, dict and
# list (a StrEnum, say) are written as their base type by both.
_STRICT = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps_json(value: Any) -> str:
    """``json.dumps(value)``'s meaning, written by orjson when it can (several times faster);
    values it refuses (integers past 64 bits, non-text keys) by the standard one."""
    try:
        return orjson.dumps(value, option=_STRICT).decode()
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value)


def insert_rows(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str] = (),
) -> list[Row[Any]]:
    """Insert ``rows`` (column dicts) in one statement; return the ``returning`` columns of
    each inserted row (in no particular order)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    names = tuple(rows[0])
    same = all(len(r) == len(names) and all(n in r for n in names) for r in rows)
    shape, document = None, None
    if dialect.name == "postgresql" and len(rows) > 1 and same:
        shape = as_json_rows(table, names, dialect)
        document = shape.document(rows) if shape is not None else None
    if shape is None or document is None:
        stmt = insert(table)
        if returning:
            result = session.execute(stmt.returning(*[table.c[c] for c in returning]), rows)
            return list(result)
        session.execute(stmt, list(rows))
        return []
    result = session.execute(_insert(shape, tuple(returning), dialect), {"rows": document})
    return list(result) if returning else []


_SCALARS = (str, int, float, type(None))  # and their subclasses (bool, a StrEnum): as psycopg


@dataclass(frozen=True)
class JsonRows:
    """``SELECT`` of a table's rows from one JSON document (an array of rows, each an array
    of the column values): PostgreSQL parses it in C, orjson writes it in one call. In the
    document's order when ``ORDER BY e.n`` ends the statement."""

    table: Table
    names: tuple[str, ...]
    columns: str
    select: str
    kinds: tuple[str, ...]  # per column: "json", "time" or "scalar"
    processors: tuple[Callable[[Any], Any] | None, ...]
    defaults: tuple[Callable[[], Any] | None, ...]

    def document(self, rows: Sequence[Mapping[str, Any]]) -> str | None:
        """The rows as the JSON document bound to ``:rows``, defaults filled and values bound
        as the columns' types bind them; None when a value cannot travel so (the caller then
        inserts them the generic way, which refuses or writes them as it always did)."""
        out: list[list[Any]] = [[] for _ in rows]
        for i, name in enumerate(self.names):
            make, process, kind = self.defaults[i], self.processors[i], self.kinds[i]
            values = [make() for _ in rows] if make else [r[name] for r in rows]
            if process is not None:
                values = [process(v) for v in values]
            if kind == "time":
                values = [None if v is None else v.isoformat() for v in values]
            elif kind == "scalar" and not all(isinstance(v, _SCALARS) for v in values):
                return None
            for row, value in zip(out, values, strict=True):
                row.append(value)
        try:
            return orjson.dumps(out, option=_STRICT).decode()
        except TypeError:  # a JSON value the standard library refuses or writes otherwise
            return None


@lru_cache(maxsize=64)
def as_json_rows(table: Table, given: tuple[str, ...], dialect: Dialect) -> JsonRows | None:
    """The ``JsonRows`` of ``table`` for rows holding the columns ``given`` (the others get
    their Python-side defaults); None when a column's type cannot travel as JSON."""
    filled = _defaults(table, given)
    names = given + tuple(filled)
    picks: list[str] = []
    kinds: list[str] = []
    processors: list[Callable[[Any], Any] | None] = []
    for i, name in enumerate(names):
        kind = table.c[name].type
        impl = kind.dialect_impl(dialect)
        impl = getattr(impl, "impl_instance", impl)  # a TypeDecorator's own type
        sql = kind.compile(dialect=dialect)
        if isinstance(kind, JSON):
            kinds.append("json")
            value = f"CAST(e.v->{i} AS {sql})"
            # JSON's None is the JSON null unless the column asks for SQL NULL.
            if kind.none_as_null:
                value = f"CASE json_typeof(e.v->{i}) WHEN 'null' THEN NULL ELSE {value} END"
            picks.append(value)
        elif isinstance(impl, String) and not isinstance(impl, Enum):
            # As text: a cast to VARCHAR(n) would cut a long value where the column's own
            # assignment refuses it.
            kinds.append("scalar")
            picks.append(f"e.v->>{i}")
        elif isinstance(impl, DateTime):
            kinds.append("time")
            picks.append(f"CAST(e.v->>{i} AS {sql})")
        elif isinstance(impl, Integer | Boolean | Float | Enum):  # an enum: by its own type
            kinds.append("scalar")
            picks.append(f"CAST(e.v->>{i} AS {sql})")
        else:
            return None
        # A JSON column's value goes into the document as it is: orjson writes it.
        processors.append(None if kinds[-1] == "json" else kind.bind_processor(dialect))
    quote = dialect.identifier_preparer.quote
    return JsonRows(
        table=table,
        names=names,
        columns=", ".join(quote(n) for n in names),
        select=(
            f"SELECT {', '.join(picks)} FROM "
            "json_array_elements(CAST(:rows AS JSON)) WITH ORDINALITY AS e(v, n)"
        ),
        kinds=tuple(kinds),
        processors=tuple(processors),
        defaults=tuple(filled.get(n) for n in names),
    )


@lru_cache(maxsize=64)
def _insert(shape: JsonRows, returning: tuple[str, ...], dialect: Dialect) -> TextClause:
    quote = dialect.identifier_preparer.quote
    # In the document's order: PostgreSQL numbers serial ids in the order rows are inserted.
    sql = f"INSERT INTO {quote(shape.table.name)} ({shape.columns}) {shape.select} ORDER BY e.n"
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in returning)
    return text(sql)


def _defaults(table: Table, given: tuple[str, ...]) -> dict[str, Callable[[], Any]]:
    """Python-side defaults of the columns not given (a new id, a status), as makers."""
    out: dict[str, Callable[[], Any]] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None:
            continue
        arg: Any = getattr(default, "arg", None)
        if getattr(default, "is_callable", False):
            out[column.name] = partial(arg, None)  # SQLAlchemy wraps it to take a context
        elif getattr(default, "is_scalar", False):
            out[column.name] = partial(_same, arg)
        else:
            raise ValueError(f"{table.name}.{column.name}: no value given and its default is SQL")
    return out


def _same(value: Any) -> Any:
    return value
