"""PostgreSQL through psycopg 3: ``= ANY(%s)`` with one array per field, server-side cursors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Self

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL

from ombud.connectors.base import (
    ColumnInfo,
    Connector,
    Ended,
    Rewrite,
    assignments,
    chunks,
    failed,
    query_failed,
    register,
)
from ombud.connectors.columns import kind_of

_cursor_ids = itertools.count()


class PostgresConnector(Connector):
    """A psycopg connection in a transaction of its own."""

    dialect = "postgresql"
    fetch_size = 10_000
    server_cursor_over = 5_000

    def __init__(self, name: str, url: URL, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        super().__init__(name, url)
        self.conn = conn
        self.quoted: dict[str, str] = {}

    @classmethod
    def open(cls, name: str, url: URL) -> Self:
        """Connect with psycopg (the ``+driver`` part of the URL is ignored)."""
        params: dict[str, Any] = {
            "host": url.host or "localhost",
            "port": url.port or 5432,
            "dbname": url.database or "postgres",
            "user": url.username or "postgres",
            "connect_timeout": int(url.query.get("connect_timeout", 5)),  # type: ignore[arg-type]
            "application_name": "ombud",
        }
        if url.password is not None:
            params["password"] = str(url.password)
        try:
            conn = psycopg.connect(**params)
        except psycopg.Error as exc:
            raise failed(name, url, exc, "connecting") from None
        return cls(name, url, conn)

    def quote(self, identifier: str) -> str:
        """Quote each dotted part with double quotes; ``%`` is doubled because every statement
        goes through psycopg's ``%s`` formatting, which reads ``%%`` as one ``%``."""
        quoted = self.quoted.get(identifier)
        if quoted is None:
            parts = identifier.split(".")
            quoted = ".".join(sql.Identifier(p).as_string(self.conn) for p in parts)
            quoted = quoted.replace("%", "%%")
            self.quoted[identifier] = quoted
        return quoted

    def fetch(
        self,
        collection: str,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        *,
        ended: Ended | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """One statement: ``WHERE f1 = ANY(%s) OR f2 = ANY(%s)``, streamed in chunks."""
        where = {f: list(v) for f, v in where.items() if v}
        if not where:
            return
        exprs = [self.quote(c) for c in columns]
        params: list[Any] = []
        for column, cutoff in (ended or {}).values():
            # A naive UTC timestamp: compared as is with ``timestamp`` and ``date`` columns.
            exprs.append(f"({self.quote(column)} IS NOT NULL AND {self.quote(column)} <= %s)")
            params.append(cutoff.replace(tzinfo=None, microsecond=0))
        text = "SELECT {} FROM {} WHERE {}".format(
            ", ".join(exprs),
            self.quote(collection),
            " OR ".join(f"{self.quote(f)} = ANY({_array(v)})" for f, v in where.items()),
        )
        # Large value lists get a server-side cursor so memory stays bounded; small batches
        # (the common case) save its extra round trips.
        big = sum(len(v) for v in where.values()) > self.server_cursor_over
        try:
            with (
                self.conn.cursor(name=f"ombud_{next(_cursor_ids)}") if big else self.conn.cursor()
            ) as cur:
                cur.execute(text, params + list(where.values()))
                while batch := cur.fetchmany(self.fetch_size):
                    yield from batch
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"reading {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, "reading") from None

    def count(self, collection: str, field: str, values: Sequence[Any]) -> dict[Any, int]:
        """``SELECT field, count(*) ... WHERE field = ANY(%s) GROUP BY field``."""
        values = list(values)
        if not values:
            return {}
        f = self.quote(field)
        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    f"SELECT {f}, count(*) FROM {self.quote(collection)} "
                    f"WHERE {f} = ANY({_array(values)}) GROUP BY {f}",
                    [values],
                )
                return {value: int(n) for value, n in cur}
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"counting in {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, "counting in") from None

    def update(self, collection: str, key: str, rewrite: Rewrite) -> int:
        """One statement: ``WHERE key = ANY(%s)``, or a join on ``unnest`` of the keys and the
        per-row values when text values (the masking strategies') come with the rows."""
        table, qkey = self.quote(collection), self.quote(key)
        keys = list(rewrite.keys)
        if not keys:
            return 0
        try:
            with self.conn.cursor() as cur:
                if not rewrite.columns:
                    sets, params = assignments(self.quote, "%s", rewrite, [])
                    cur.execute(
                        f"UPDATE {table} SET {sets} WHERE {qkey} = ANY({_array(keys)})",
                        [*params, keys],
                    )
                    return max(cur.rowcount, 0)
                if _joinable(keys, rewrite.values):
                    return self._update_joined(cur, table, qkey, rewrite, keys)
                sets, params = assignments(self.quote, "%s", rewrite, ["%s"] * len(rewrite.columns))
                cur.executemany(
                    f"UPDATE {table} SET {sets} WHERE {qkey} = %s",
                    [[*params, *v, k] for k, v in zip(keys, rewrite.values, strict=True)],
                )
                return len(keys)
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"updating {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, "updating") from None

    def _update_joined(
        self, cur: psycopg.Cursor[Any], table: str, qkey: str, rewrite: Rewrite, keys: list[Any]
    ) -> int:
        names = [f"ombud_v.ombud_c{i}" for i in range(len(rewrite.columns))]
        sets, params = assignments(self.quote, "%s", rewrite, names)
        # Binary parameters are typed (bigint[], text[]), which unnest needs to choose its type.
        arrays = ", ".join(["%b"] * (len(names) + 1))
        columns = ", ".join(["ombud_k"] + [f"ombud_c{i}" for i in range(len(names))])
        count = 0
        # The key list again as ``= ANY``: without it the planner joins the whole table's index
        # with the list (it cannot see how short the list is).
        for part in chunks(range(len(keys)), 50_000):
            values = [rewrite.values[i] for i in part]
            ids = [keys[i] for i in part]
            cur.execute(
                f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS ombud_v({columns}) "
                f"WHERE {table}.{qkey} = ombud_v.ombud_k AND {table}.{qkey} = ANY(%b)",
                [*params, ids, *(list(c) for c in zip(*values, strict=True)), ids],
            )
            count += max(cur.rowcount, 0)
        return count

    def delete(self, collection: str, key: str, values: Sequence[Any]) -> int:
        """``DELETE ... WHERE key = ANY(%s)``."""
        if not values:
            return 0
        try:
            with self.conn.cursor() as cur:
                keys = list(values)
                cur.execute(
                    f"DELETE FROM {self.quote(collection)} WHERE {self.quote(key)} "
                    f"= ANY({_array(keys)})",
                    [keys],
                )
                return max(cur.rowcount, 0)
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"deleting from {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, "deleting from") from None

    def columns(self, collection: str) -> dict[str, ColumnInfo]:
        """Columns from ``pg_attribute``, keys from ``pg_index`` (unique indexes included, which
        ``information_schema`` leaves out), the table found as queries find it."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(_COLUMNS, [self.quote(collection)])
                rows = cur.fetchall()
                # NULLS NOT DISTINCT exists from PostgreSQL 15 on.
                new = self.conn.info.server_version >= 150000
                nulls = "i.indnullsnotdistinct" if new else "false"
                cur.execute(_KEYS.format(nulls=nulls), [self.quote(collection)])
                keys = cur.fetchall()
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"reading the columns of {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, "reading the columns of") from None
        primary: set[str] = set()
        unique: dict[str, bool] = {}  # column -> NULLs distinct
        for is_primary, is_unique, not_distinct, names in keys:
            if is_primary:
                primary.update(names)
            elif is_unique and len(names) == 1:
                unique[names[0]] = unique.get(names[0], True) and not not_distinct
        out: dict[str, ColumnInfo] = {}
        for name, declared, notnull, category, length in rows:
            kind = _CATEGORY_KINDS.get(category) or kind_of(declared)
            out[name] = ColumnInfo(
                name=name,
                type=declared,
                kind=kind,
                nullable=not notnull,
                primary_key=name in primary,
                unique=name in unique,
                max_length=length,
                nulls_distinct=unique.get(name, True),
            )
        return out

    def leads_index(self, collection: str, column: str) -> bool:
        """A valid, non-partial index whose first column is ``column``."""
        rows = self.rows(
            _LEADS, [self.quote(collection), column], collection=collection,
            doing="reading the indexes of",
        )  # fmt: skip
        return bool(rows and rows[0][0])

    def execute(self, text: str, params: Sequence[Any], *, collection: str, doing: str) -> int:
        """Execute; the rows changed."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(text, list(params))
                return max(cur.rowcount, 0)
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"{doing} {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, doing) from None

    def rows(
        self, text: str, params: Sequence[Any], *, collection: str, doing: str
    ) -> list[tuple[Any, ...]]:
        """Execute and fetch every row."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(text, list(params))
                return list(cur.fetchall()) if cur.description else []
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"{doing} {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, doing) from None

    def commit(self) -> None:
        """Commit."""
        try:
            self.conn.commit()
        except psycopg.OperationalError as exc:
            raise self.failed(exc, "committing") from None

    def rollback(self) -> None:
        """Roll back (a closed connection has nothing to roll back)."""
        if not self.conn.closed:
            self.conn.rollback()

    def test(self) -> str:
        """``SELECT version()``."""
        try:
            with self.conn.cursor() as cur:
                cur.execute("SELECT version()")
                row = cur.fetchone()
            self.conn.rollback()
        except psycopg.Error as exc:
            raise self.failed(exc, "testing") from None
        return str(row[0]) if row else ""

    def close(self) -> None:
        """Close."""
        self.conn.close()


# pg_type.typcategory decides where the name alone would mislead (``text[]``, ``int4range``).
_CATEGORY_KINDS = {"S": "text", "A": "array", "E": "enum", "B": "boolean", "R": "other"}
# typcategory 'S' is a string type (text, varchar, char, citext, a domain over them); the
# type modifier of varchar(n) and char(n) is n + 4.
_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, t.typcategory,
       CASE WHEN t.typcategory = 'S' AND a.atttypmod > 4 THEN a.atttypmod - 4 END
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""
# Indexes on plain columns only (an expression index names no column).
_KEYS = """
SELECT i.indisprimary, i.indisunique, {nulls}, array_agg(a.attname::text)
FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = to_regclass(%s) AND (i.indisprimary OR i.indisunique)
GROUP BY i.indexrelid, i.indisprimary, i.indisunique, {nulls}, i.indnkeyatts
HAVING count(*) = i.indnkeyatts
"""

_LEADS = """
SELECT EXISTS (
  SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
  WHERE i.indrelid = to_regclass(%s) AND a.attname = %s AND i.indisvalid AND i.indpred IS NULL
)
"""


def _array(values: Sequence[Any]) -> str:
    """The placeholder of a list: binary for integers (nothing to escape, several times faster
    to send); text otherwise, so strings stay untyped and compare as the column's type."""
    return "%b" if values and all(type(v) is int for v in values) else "%s"


def _joinable(keys: list[Any], values: Sequence[Sequence[Any]]) -> bool:
    """True when keys are integers or text and every per-row value is text or NULL."""
    if not isinstance(keys[0], int | str) or isinstance(keys[0], bool):
        return False
    kind = type(keys[0])
    return all(type(k) is kind for k in keys) and all(
        v is None or type(v) is str for row in values for v in row
    )


register("postgresql", PostgresConnector)
