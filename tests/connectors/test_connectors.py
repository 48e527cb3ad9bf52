"""Connectors on the real servers: URLs from the environment, chunked reads, grouped writes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
    update,
)

from ombud.connectors import ConnectionFailed, Connector, connector_for
from ombud.connectors.base import Rewrite, registered
from ombud.datamap.schemas import Connection
from ombud.errors import InvalidInput

meta = MetaData()
people = Table(
    "people",
    meta,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", String(100)),
    Column("ref", Integer),
    Column("note", String(100), nullable=True),
    Column("seen", Date, nullable=True),
)
ROWS = 12_000  # more than one IN chunk


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with ``people`` on each engine."""
    if request.param == "sqlite":
        value = f"sqlite:///{tmp_path / 'c.db'}"
    else:
        value = request.getfixturevalue(
            "postgres_url" if request.param == "postgresql" else "mysql_url"
        )
    engine = create_engine(value)
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(people), [{"id": i, "email": f"p{i}@x.test", "ref": i % 7} for i in range(ROWS)]
        )
    engine.dispose()
    yield value


def _open(url: str, monkeypatch: pytest.MonkeyPatch) -> Connector:
    monkeypatch.setenv("CONN_TEST_URL", url)
    return connector_for(Connection(name="target", url="${CONN_TEST_URL}"))


def test_fetch_streams_every_match_once_per_chunk(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _open(url, monkeypatch) as conn:
        assert conn.test()
        ids = list(range(0, ROWS, 2))
        rows = list(conn.fetch("people", {"id": ids}, ["id", "email"]))
        assert sorted(r[0] for r in rows) == ids
        assert all(email == f"p{i}@x.test" for i, email in rows)
        both = list(conn.fetch("people", {"id": [1], "email": ["p3@x.test"]}, ["id"]))
        assert sorted(r[0] for r in both) == [1, 3]
        assert list(conn.fetch("people", {"id": []}, ["id"])) == []


def test_update_and_delete_then_commit(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with _open(url, monkeypatch) as conn:
        assert conn.update("people", "id", Rewrite(list(range(6_000)), {"email": None})) == 6_000
        own = Rewrite(range(6_000, 6_010), columns=["email"], values=[[f"h{i}"] for i in range(10)])
        assert conn.update("people", "id", own) == 10
        assert conn.delete("people", "id", list(range(11_000, ROWS))) == 1_000
        assert conn.delete("people", "id", list(range(11_000, ROWS))) == 0
        conn.commit()
    engine = create_engine(url)
    with engine.connect() as db:
        got = dict(db.execute(select(people.c.id, people.c.email)).all())
    engine.dispose()
    assert len(got) == 11_000
    assert got[5_999] is None and got[6_005] == "h5" and got[10_000] == "p10000@x.test"


def test_masking_keeps_nulls_flags_ended_rows_and_counts(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(update(people).where(people.c.id.in_([0, 2, 4, 12])).values(note="n"))
        db.execute(update(people).where(people.c.id == 0).values(seen=date(2010, 1, 1)))
        db.execute(update(people).where(people.c.id == 1).values(seen=date(2024, 1, 1)))
    with _open(url, monkeypatch) as conn:
        ended = {"e": ("seen", datetime(2020, 1, 1))}
        rows = conn.fetch("people", {"id": [0, 1, 2]}, ["id"], ended=ended)
        # 2 has no date: never past a period.
        assert sorted((i, bool(flag)) for i, flag in rows) == [(0, True), (1, False), (2, False)]
        per_ref = {r: sum(1 for i in range(ROWS) if i % 7 == r) for r in (1, 2)}
        assert conn.count("people", "ref", [1, 2, 99]) == per_ref
        conn.update("people", "id", Rewrite(range(6), {"note": "X"}, keep_null=True))
        own = Rewrite([10, 12], columns=["note"], values=[["a"], ["b"]], keep_null=True)
        conn.update("people", "id", own)
        by_text = Rewrite(["p20@x.test", "p21@x.test"], columns=["note"], values=[["c"], ["d"]])
        assert conn.update("people", "email", by_text) == 2
        conn.commit()
    with engine.connect() as db:
        got = dict(db.execute(select(people.c.id, people.c.note).where(people.c.id < 30)).all())
    engine.dispose()
    assert [got[i] for i in range(6)] == ["X", None, "X", None, "X", None]
    assert (got[10], got[12], got[20], got[21], got[22]) == (None, "b", "c", "d", None)


def test_unreachable_server_names_connection_and_host_not_password() -> None:
    bad = Connection(name="crm", url="postgresql+psycopg://u:s3cret@127.0.0.1:1/crm")
    with pytest.raises(ConnectionFailed) as err:
        connector_for(bad)
    assert "connection 'crm'" in err.value.message and "127.0.0.1:1/crm" in err.value.message
    assert "s3cret" not in err.value.message and err.value.status == 503


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(ConnectionFailed, match="no database file"):
        connector_for(Connection(name="f", url=f"sqlite:///{tmp_path / 'nope.db'}"))
    assert not (tmp_path / "nope.db").exists()


def test_url_variables_and_engines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(InvalidInput, match="NOT_SET_ANYWHERE is not set"):
        connector_for(Connection(name="x", url="postgresql://u:${NOT_SET_ANYWHERE}@h/db"))
    with pytest.raises(InvalidInput, match="no connector for engine 'oracle'"):
        connector_for(Connection(name="x", url="oracle://u@h/db"))
    assert registered() == ["mysql", "postgresql", "sqlite"]


pct_meta = MetaData()
pct_table = Table(
    "pct%table",
    pct_meta,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("col%x", String(100), nullable=True),
)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def pct_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with a table ``pct%table`` whose columns are ``id`` and ``col%x``."""
    if request.param == "sqlite":
        value = f"sqlite:///{tmp_path / 'p.db'}"
    else:
        value = request.getfixturevalue(
            "postgres_url" if request.param == "postgresql" else "mysql_url"
        )
    engine = create_engine(value)
    pct_meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(pct_table), [{"id": i, "col%x": f"v{i}%"} for i in range(5)])
    engine.dispose()
    yield value


def test_percent_in_table_and_column_names(pct_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with _open(pct_url, monkeypatch) as conn:
        rows = list(conn.fetch("pct%table", {"col%x": ["v1%", "v2%"]}, ["id", "col%x"]))
        assert sorted(rows) == [(1, "v1%"), (2, "v2%")]
        assert conn.count("pct%table", "col%x", ["v3%"]) == {"v3%": 1}
        assert conn.update("pct%table", "id", Rewrite([1], {"col%x": None})) == 1
        own = Rewrite(["v2%"], columns=["col%x"], values=[["w%"]])
        assert conn.update("pct%table", "col%x", own) == 1
        assert conn.delete("pct%table", "id", [4]) == 1
        conn.commit()
    engine = create_engine(pct_url)
    with engine.connect() as db:
        got = dict(db.execute(select(pct_table.c.id, pct_table.c["col%x"])).all())
    engine.dispose()
    assert got == {0: "v0%", 1: None, 2: "w%", 3: "v3%"}
