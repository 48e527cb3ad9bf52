"""Small schemas described in a few lines, for traversal tests on all three engines.

A schema is tables of integer and text columns (``id`` is the primary key), identities and
Fides references declared on a field. ``datamap`` turns it into a Fides data map, ``create``
makes the tables, and ``reachable`` is the brute-force answer: a breadth-first search over the
rows themselves, written without any of Ombud's code."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    select,
)
from sqlalchemy import insert as sql_insert

from ombud.datamap.schemas import DataMap
from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch

DATASET = "app"
CONNECTION = "app_db"
KEY = b"traversal-test-key"
Rows = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass(frozen=True)
class Ref:
    """``table.column`` declares ``references: [{field: to_table.to_column, direction}]``."""

    table: str
    column: str
    to_table: str
    to_column: str
    direction: str | None = None


@dataclass
class Schema:
    """Tables (name -> {column: "int" | "str"}), identities ((table, column) -> type), refs."""

    tables: dict[str, dict[str, str]]
    identities: dict[tuple[str, str], str]
    refs: list[Ref] = field(default_factory=list)
    # (table, column) -> Fides masking_strategy_override of the field
    masking: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # (table, column) -> data category (default: user.contact.email for text, else
    # user.unique_id)
    categories: dict[tuple[str, str], str] = field(default_factory=dict)

    def metadata(self) -> MetaData:
        """The tables as SQLAlchemy metadata (no foreign keys: references are data map only)."""
        md = MetaData()
        for name, columns in self.tables.items():
            Table(
                name,
                md,
                *(
                    Column(c, Integer, primary_key=True, autoincrement=False)
                    if c == "id"
                    else Column(c, Integer if kind == "int" else String(80), nullable=True)
                    for c, kind in columns.items()
                ),
            )
        return md

    def datamap(self, url: str) -> DataMap:
        """The Fides data map of the schema (tables in declaration order)."""
        return DataMap.model_validate(self.document(url))

    def document(self, url: str) -> dict[str, Any]:
        """The data map as a YAML-ready document."""
        collections = []
        for name, columns in self.tables.items():
            fields = []
            for column, kind in columns.items():
                meta: dict[str, Any] = {"data_type": "integer" if kind == "int" else "string"}
                if column == "id":
                    meta["primary_key"] = True
                if (name, column) in self.identities:
                    meta["identity"] = self.identities[(name, column)]
                refs = [
                    {"dataset": DATASET, "field": f"{r.to_table}.{r.to_column}"}
                    | ({"direction": r.direction} if r.direction else {})
                    for r in self.refs
                    if (r.table, r.column) == (name, column)
                ]
                if refs:
                    meta["references"] = refs
                default = "user.contact.email" if kind == "str" else "user.unique_id"
                one: dict[str, Any] = {
                    "name": column,
                    "data_categories": [self.categories.get((name, column), default)],
                    "fides_meta": meta,
                }
                if (name, column) in self.masking:
                    one["masking_strategy_override"] = self.masking[(name, column)]
                fields.append(one)
            collections.append({"name": name, "fields": fields})
        return {
            "organization": {"fides_key": "org", "name": "Org"},
            "connection": [{"name": CONNECTION, "url": url}],
            "dataset": [
                {"fides_key": DATASET, "connection": CONNECTION, "collections": collections}
            ],
        }

    def edges(self) -> list[tuple[str, str, str, str]]:
        """(from table, column, to table, column): Fides reference semantics, written out."""
        out = []
        for r in self.refs:
            if r.direction in (None, "from"):
                out.append((r.to_table, r.to_column, r.table, r.column))
            if r.direction in (None, "to"):
                out.append((r.table, r.column, r.to_table, r.to_column))
        return out


def create(engine: Engine, schema: Schema, rows: Rows) -> None:
    """Create the schema's tables (if missing), empty them and insert ``rows``."""
    md = schema.metadata()
    md.create_all(engine)
    with engine.begin() as conn:
        for table in md.sorted_tables:
            conn.execute(delete(table))
            if rows.get(table.name):
                conn.execute(sql_insert(table), [dict(r) for r in rows[table.name]])


def snapshot(engine: Engine, schema: Schema) -> dict[str, list[dict[str, Any]]]:
    """Every row of the schema's tables, ordered by id."""
    md = schema.metadata()
    with engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]
            for t in md.sorted_tables
        }


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _same(a: Any, b: Any) -> bool:
    # Exact: the tests use lower-case text without trailing spaces, which every engine's
    # collation compares the same way.
    return bool(a == b)


def reachable(schema: Schema, rows: Rows, identities: Mapping[str, str]) -> dict[str, set[int]]:
    """Ids of the rows some chain of references leads to from a request's ``identities``:
    a breadth-first search over the rows; a missing or blank value leads nowhere."""
    found: dict[str, set[int]] = {t: set() for t in schema.tables}
    queue: list[tuple[str, Mapping[str, Any]]] = []

    def reach(table: str, row: Mapping[str, Any]) -> None:
        if row["id"] not in found[table]:
            found[table].add(row["id"])
            queue.append((table, row))

    by_type = {("phone_number" if k == "phone" else k): v for k, v in identities.items()}
    for (table, column), kind in schema.identities.items():
        value = by_type.get(kind)
        for row in rows.get(table, ()):
            if not _blank(value) and not _blank(row[column]) and _same(row[column], value):
                reach(table, row)
    edges = schema.edges()
    while queue:
        table, row = queue.pop(0)
        for src, src_col, dst, dst_col in edges:
            if src != table or _blank(row[src_col]):
                continue
            for other in rows.get(dst, ()):
                if not _blank(other[dst_col]) and _same(other[dst_col], row[src_col]):
                    reach(dst, other)
    return {t: ids for t, ids in found.items() if ids}


def access(dm: DataMap, identities: Mapping[str, str]) -> dict[str, set[int]]:
    """Ids of the rows Ombud's engine finds for one access request, per table."""
    plan = build_plan(dm)
    spec = RequestSpec("req", "access", dict(identities))
    with ConnectorPool(dm) as pool:
        out = execute_batch(plan, [spec], pool=pool, journal=MemoryJournal(), key=KEY)
    prefix = f"{DATASET}."
    return {
        name.removeprefix(prefix): {r["id"] for r in rows}
        for name, rows in out["req"].rows.items()
        if rows
    }


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """An empty database on each engine: (URL, engine)."""
    kind = request.param
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        url = request.getfixturevalue("postgres_url" if kind == "postgresql" else "mysql_url")
    engine = create_engine(url)
    yield url, engine
    engine.dispose()
