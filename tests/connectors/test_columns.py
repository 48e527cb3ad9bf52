"""``Connector.columns``: each engine reports types, NOT NULL, keys, unique and lengths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
)

from ombud.connectors import connector_for
from ombud.connectors.base import ColumnInfo
from ombud.connectors.columns import declared_length, kind_of
from ombud.datamap.schemas import Connection

meta = MetaData()
accounts = Table(
    "accounts",
    meta,
    Column("tenant", Integer, primary_key=True, autoincrement=False),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", String(120), nullable=False),
    Column("handle", String(30), nullable=True),
    Column("bio", Text, nullable=True),
    Column("born", Date, nullable=True),
    Column("score", Integer, nullable=True),
    Column("a", String(10), nullable=True),
    Column("b", String(10), nullable=True),
    UniqueConstraint("email"),
    UniqueConstraint("a", "b"),
)
Index("accounts_handle", accounts.c.handle, unique=True)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database holding ``accounts`` on each engine."""
    if request.param == "sqlite":
        value = f"sqlite:///{tmp_path / 'cols.db'}"
    else:
        value = request.getfixturevalue(
            "postgres_url" if request.param == "postgresql" else "mysql_url"
        )
    engine = create_engine(value)
    meta.create_all(engine)
    engine.dispose()
    yield value


def test_columns_report_types_and_constraints(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLS_URL", url)
    with connector_for(Connection(name="c", url="${COLS_URL}")) as conn:
        cols = conn.columns("accounts")
        assert conn.columns("no_such_table") == {}
    assert list(cols) == ["tenant", "id", "email", "handle", "bio", "born", "score", "a", "b"]
    assert all(isinstance(c, ColumnInfo) for c in cols.values())
    # A composite primary key: both columns are part of it, neither takes NULL.
    assert cols["tenant"].primary_key and cols["id"].primary_key
    assert not cols["tenant"].nullable and cols["tenant"].kind == "integer"
    email = cols["email"]
    assert (email.kind, email.max_length) == ("text", 120)
    assert not email.nullable and email.unique and not email.primary_key
    handle = cols["handle"]  # unique through an index, not a constraint
    assert (handle.nullable, handle.unique, handle.max_length) == (True, True, 30)
    assert cols["bio"].kind == "text" and cols["bio"].max_length is None
    assert cols["born"].kind == "date" and cols["score"].kind == "integer"
    # Only one column of a two-column unique constraint: each alone is not unique.
    assert not cols["a"].unique and not cols["b"].unique


def test_postgresql_nulls_not_distinct(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TYPE mood AS ENUM ('ok', 'meh')")
        conn.exec_driver_sql(
            'CREATE TABLE "Tokens" (id int PRIMARY KEY, code varchar(8), tags text[], '
            "feeling mood, span int4range, CONSTRAINT one_code UNIQUE NULLS NOT DISTINCT (code))"
        )
    engine.dispose()
    monkeypatch.setenv("COLS_URL", postgres_url)
    with connector_for(Connection(name="c", url="${COLS_URL}")) as conn:
        cols = conn.columns("public.Tokens")
    code = cols["code"]
    assert code.unique and not code.nulls_distinct and code.max_length == 8
    # What the type's name alone would get wrong: an array of text, an enum, a range of ints.
    assert [cols[c].kind for c in ("tags", "feeling", "span")] == ["array", "enum", "other"]


@pytest.mark.parametrize(
    ("declared", "kind", "length"),
    [
        ("VARCHAR(200)", "text", 200),
        ("character varying(12)", "text", 12),
        ("TEXT", "text", None),
        ("", "any", None),
        ("INTEGER", "integer", None),
        ("bigint(20)", "integer", None),
        ("DATETIME", "datetime", None),
        ("timestamp with time zone", "datetime", None),
        ("DATE", "date", None),
        ("NUMERIC(10, 2)", "decimal", None),
        ("double precision", "float", None),
        ("BOOLEAN", "boolean", None),
        ("uuid", "uuid", None),
        ("jsonb", "json", None),
        ("varbinary(16)", "binary", None),
        ("enum('a','b')", "enum", None),
        ("point", "other", None),
    ],
)
def test_kind_and_length_of_declared_types(declared: str, kind: str, length: int | None) -> None:
    assert kind_of(declared) == kind
    assert declared_length(declared) == length
