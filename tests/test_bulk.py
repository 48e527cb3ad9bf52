"""Many rows in one statement (one JSON document on PostgreSQL) and JSON written by orjson: the
same values, defaults and refusals as SQLAlchemy's own insert and ``json.dumps``."""

from __future__ import annotations

import enum
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import JSON, Column, Enum, Integer, MetaData, String, Table, select, text
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session

from ombud.bulk import dumps_json, insert_rows
from ombud.models.base import UTCDateTime, new_id
from tests.fixtures.statements import statements


class _Colour(enum.StrEnum):
    RED = "red"


def _probe(session: Session) -> Table:
    """A table of every kind of column the store's bulk inserts write, made for one test."""
    suffix = uuid.uuid4().hex[:8]
    table = Table(
        f"bulk_probe_{suffix}",
        MetaData(),
        Column("n", Integer, primary_key=True, autoincrement=True),
        Column("id", String(36), default=new_id, nullable=False),
        Column("name", String(5), nullable=False),
        Column("status", String(16), default="pending", nullable=False),
        Column("data", JSON),
        Column("extra", JSON(none_as_null=True), nullable=True),
        Column("at", UTCDateTime(), nullable=True),
        Column("kind", Enum("open", "shut", name=f"bulk_kind_{suffix}"), nullable=True),
    )
    table.create(session.connection())
    return table


def test_rows_keep_their_values_defaults_and_order(db_session: Session, store_kind: str) -> None:
    table = _probe(db_session)
    at = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
    rows = [
        {"name": "bo", "data": {"k": [1, "é", None]}, "extra": None, "at": at, "kind": "open"},
        {"name": "al", "data": None, "extra": {"x": 1}, "at": None, "kind": None},
        {"name": "cy", "data": [1.5], "extra": None, "at": at + timedelta(hours=1), "kind": "shut"},
    ]
    with statements(db_session.connection(), "INSERT", "json_array_elements") as seen:
        returned = insert_rows(db_session, table, rows, returning=("n", "name"))
    assert len(seen) == (1 if store_kind == "postgresql" else 0)  # PostgreSQL: one document
    assert sorted((r.n, r.name) for r in returned)
    stored = db_session.execute(select(table).order_by(table.c.n)).all()
    # In the order given (serial numbers follow it), each with its own new id and defaults.
    assert [r.name for r in stored] == ["bo", "al", "cy"]
    assert {r.name: r.n for r in returned} == {r.name: r.n for r in stored}
    assert len({r.id for r in stored}) == 3 and all(len(r.id) == 36 for r in stored)
    assert {r.status for r in stored} == {"pending"}
    assert [r.data for r in stored] == [{"k": [1, "é", None]}, None, [1.5]]
    assert [r.kind for r in stored] == ["open", None, "shut"]
    assert [r.at for r in stored] == [at, None, at + timedelta(hours=1)]
    # JSON's None is the JSON null, unless the column asks for SQL NULL.
    nulls = db_session.execute(
        text(f"SELECT data IS NULL, extra IS NULL FROM {table.name} ORDER BY n")
    ).all()
    assert [tuple(r) for r in nulls] == [(False, True), (False, False), (False, True)]


def test_an_enum_of_text_goes_in_the_document_as_its_value(
    db_session: Session, store_kind: str
) -> None:
    table = _probe(db_session)
    rows = [{"name": _Colour.RED, "data": {"c": _Colour.RED}}, {"name": "b", "data": [1]}]
    with statements(db_session.connection(), "INSERT", "json_array_elements") as seen:
        insert_rows(db_session, table, rows)
    assert len(seen) == (1 if store_kind == "postgresql" else 0)
    stored = db_session.execute(select(table.c.name, table.c.data).order_by(table.c.n)).all()
    assert [tuple(r) for r in stored] == [("red", {"c": "red"}), ("b", [1])]


def test_rows_with_different_columns_are_refused_as_sqlalchemy_refuses_them(
    db_session: Session,
) -> None:
    table = _probe(db_session)
    rows: list[dict[str, Any]] = [{"name": "a", "status": "done"}, {"name": "b"}]
    with pytest.raises(StatementError, match="value is required for bind parameter 'status'"):
        insert_rows(db_session, table, rows)


def test_one_statement_of_one_text_whatever_the_number_of_rows(
    db_session: Session, store_kind: str
) -> None:
    if store_kind != "postgresql":
        pytest.skip("the one-document form is PostgreSQL's; other stores insert a row per tuple")
    table = _probe(db_session)
    texts = []
    for count in (2, 7, 40):
        with statements(db_session.connection(), "INSERT", table.name) as seen:
            insert_rows(db_session, table, [{"name": f"r{i}"} for i in range(count)])
        assert len(seen) == 1
        texts += seen
    assert len(set(texts)) == 1
    assert db_session.scalar(text(f"SELECT count(*) FROM {table.name}")) == 49


def test_a_value_too_long_is_refused_not_cut(db_session: Session, store_kind: str) -> None:
    if store_kind != "postgresql":
        pytest.skip("SQLite does not hold text to a column's length")
    table = _probe(db_session)
    with pytest.raises(DBAPIError, match="too long"):
        insert_rows(db_session, table, [{"name": "short"}, {"name": "toolong"}])


def test_values_json_cannot_carry_are_written_or_refused_as_before(db_session: Session) -> None:
    table = _probe(db_session)
    # A number past 64 bits (orjson refuses it; the standard library writes it).
    insert_rows(db_session, table, [{"name": "big", "data": 2**70}, {"name": "b", "data": 1}])
    stored = db_session.execute(select(table.c.data).order_by(table.c.n)).scalars().all()
    assert stored == [2**70, 1]
    # A time inside JSON, and a mapping where text belongs, are refused as they always were.
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises((TypeError, StatementError)):
        insert_rows(
            db_session, table, [{"name": "a", "data": {"at": at}}, {"name": "b", "data": 1}]
        )
    with pytest.raises((TypeError, StatementError, DBAPIError)):
        insert_rows(db_session, table, [{"name": {"x": 1}, "data": 1}, {"name": "b", "data": 1}])


def test_a_naive_time_is_refused(db_session: Session) -> None:
    table = _probe(db_session)
    rows = [{"name": "a", "at": datetime(2026, 1, 1)}, {"name": "b", "at": None}]
    with pytest.raises((ValueError, StatementError), match="naive datetime"):
        insert_rows(db_session, table, rows)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text() | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(_json)
def test_json_means_what_the_standard_library_wrote(value: Any) -> None:
    assert json.loads(dumps_json(value)) == json.loads(json.dumps(value))


def test_json_refuses_and_writes_as_the_standard_library_does() -> None:
    assert json.loads(dumps_json({"c": _Colour.RED})) == {"c": "red"}
    for refused in ({"at": datetime(2026, 1, 1, tzinfo=UTC)}, {1, 2}, object()):
        with pytest.raises(TypeError):
            json.dumps(refused)
        with pytest.raises(TypeError):
            dumps_json(refused)
