"""MariaDB / MySQL through PyMySQL: ``IN (...)`` chunks, unbuffered cursors for streaming."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Self

import pymysql
import pymysql.cursors
from sqlalchemy.engine import URL

from ombud.connectors.base import (
    ColumnInfo,
    Connector,
    Ended,
    Rewrite,
    failed,
    query_failed,
    register,
)
from ombud.connectors.columns import kind_of
from ombud.connectors.sqlchunks import (
    count_statements,
    delete_statements,
    merge_counts,
    select_statements,
    update_statements,
)

CHUNK = 5_000


def _ended(column: str) -> str:
    return f"({column} IS NOT NULL AND {column} <= %s)"


def _cutoff(value: datetime) -> datetime:
    return value.replace(microsecond=0)


class MySQLConnector(Connector):
    """A PyMySQL connection with autocommit off."""

    dialect = "mysql"

    def __init__(self, name: str, url: URL, conn: pymysql.connections.Connection[Any]) -> None:
        super().__init__(name, url)
        self.conn = conn

    @classmethod
    def open(cls, name: str, url: URL) -> Self:
        """Connect with PyMySQL (utf8mb4, autocommit off)."""
        try:
            conn = pymysql.connect(
                host=url.host or "localhost",
                port=url.port or 3306,
                user=url.username or "root",
                password=str(url.password or ""),
                database=url.database,
                charset="utf8mb4",
                autocommit=False,
                connect_timeout=int(url.query.get("connect_timeout", 5)),  # type: ignore[arg-type]
            )
        except pymysql.err.MySQLError as exc:
            raise failed(name, url, exc, "connecting") from None
        return cls(name, url, conn)

    def quote(self, identifier: str) -> str:
        """Backticks around each dotted part; ``%`` is doubled because every statement goes
        through PyMySQL's ``%s`` formatting, which reads ``%%`` as one ``%``."""
        parts = ("`" + p.replace("`", "``").replace("%", "%%") + "`" for p in identifier.split("."))
        return ".".join(parts)

    def _error(self, exc: pymysql.err.MySQLError, collection: str, doing: str) -> Exception:
        if isinstance(exc, pymysql.err.OperationalError | pymysql.err.InterfaceError) and (
            not self.conn.open or (exc.args and exc.args[0] in (2003, 2006, 2013))
        ):
            return self.failed(exc, f"{doing} {collection}")
        self.rollback()
        return query_failed(self.name, collection, exc, doing)

    def fetch(
        self,
        collection: str,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        *,
        ended: Ended | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Unbuffered ``SELECT`` per chunk of values."""
        computed = (_ended, _cutoff, ended) if ended else None
        for text, params in select_statements(
            self.quote, "%s", collection, where, columns, CHUNK, computed
        ):
            try:
                with self.conn.cursor(pymysql.cursors.SSCursor) as cur:
                    cur.execute(text, params)
                    while batch := cur.fetchmany(5_000):
                        yield from batch
            except pymysql.err.MySQLError as exc:
                raise self._error(exc, collection, "reading") from None

    def count(self, collection: str, field: str, values: Sequence[Any]) -> dict[Any, int]:
        """``COUNT(*) ... GROUP BY`` per chunk."""
        pairs: list[Sequence[Any]] = []
        try:
            with self.conn.cursor() as cur:
                for text, params in count_statements(
                    self.quote, "%s", collection, field, values, CHUNK
                ):
                    cur.execute(text, params)
                    pairs.extend(cur.fetchall())
        except pymysql.err.MySQLError as exc:
            raise self._error(exc, collection, "counting in") from None
        return merge_counts(pairs)

    def update(self, collection: str, key: str, rewrite: Rewrite) -> int:
        """Shared values per ``IN`` chunk; per-row values with ``executemany``."""
        single, many = update_statements(self.quote, "%s", collection, key, rewrite, CHUNK)
        count = 0
        try:
            with self.conn.cursor() as cur:
                for text, params in single:
                    count += cur.execute(text, params)
                for text, param_rows in many:
                    cur.executemany(text, param_rows)
                    count += len(param_rows)
        except pymysql.err.MySQLError as exc:
            raise self._error(exc, collection, "updating") from None
        return count

    def delete(self, collection: str, key: str, values: Sequence[Any]) -> int:
        """``DELETE ... IN`` per chunk."""
        count = 0
        try:
            with self.conn.cursor() as cur:
                for text, params in delete_statements(
                    self.quote, "%s", collection, key, values, CHUNK
                ):
                    count += cur.execute(text, params)
        except pymysql.err.MySQLError as exc:
            raise self._error(exc, collection, "deleting from") from None
        return count

    def columns(self, collection: str) -> dict[str, ColumnInfo]:
        """``information_schema.COLUMNS`` and ``STATISTICS`` (unique indexes) of the table, in
        the connection's database unless the name says ``schema.table``."""
        schema, _, table = collection.rpartition(".")
        where = "TABLE_SCHEMA = " + ("%s" if schema else "DATABASE()") + " AND TABLE_NAME = %s"
        params = [schema, table] if schema else [table]
        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    "SELECT COLUMN_NAME, COLUMN_TYPE, DATA_TYPE, IS_NULLABLE, "
                    "CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS "
                    f"WHERE {where} ORDER BY ORDINAL_POSITION",
                    params,
                )
                rows = cur.fetchall()
                cur.execute(
                    "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS "
                    f"WHERE {where} AND NON_UNIQUE = 0",
                    params,
                )
                keys = cur.fetchall()
        except pymysql.err.MySQLError as exc:
            raise self._error(exc, collection, "reading the columns of") from None
        indexes: dict[str, list[str]] = {}
        for index, column in keys:
            indexes.setdefault(str(index), []).append(str(column))
        primary = set(indexes.pop("PRIMARY", []))
        unique = {cols[0] for cols in indexes.values() if len(cols) == 1}
        out: dict[str, ColumnInfo] = {}
        for name, column_type, data_type, nullable, length in rows:
            kind = kind_of(str(data_type))
            if str(column_type).lower().startswith("tinyint(1)"):
                kind = "boolean"
            out[str(name)] = ColumnInfo(
                name=str(name),
                type=str(column_type),
                kind=kind,
                nullable=nullable == "YES" and name not in primary,
                primary_key=name in primary,
                unique=name in unique,
                max_length=int(length) if length and data_type in ("char", "varchar") else None,
            )
        return out

    def leads_index(self, collection: str, column: str) -> bool:
        """An index whose first column is ``column`` (InnoDB adds one for each foreign key)."""
        schema, _, table = collection.rpartition(".")
        where = "TABLE_SCHEMA = " + ("%s" if schema else "DATABASE()") + " AND TABLE_NAME = %s"
        params = [schema, table, column] if schema else [table, column]
        rows = self.rows(
            "SELECT 1 FROM information_schema.STATISTICS "
            f"WHERE {where} AND COLUMN_NAME = %s AND SEQ_IN_INDEX = 1 LIMIT 1",
            params, collection=collection, doing="reading the indexes of",
        )  # fmt: skip
        return bool(rows)

    def execute(self, text: str, params: Sequence[Any], *, collection: str, doing: str) -> int:
        """Execute; the rows changed."""
        try:
            with self.conn.cursor() as cur:
                return int(cur.execute(text, list(params)))
        except pymysql.err.MySQLError as exc:
            raise self._error(exc, collection, doing) from None

    def rows(
        self, text: str, params: Sequence[Any], *, collection: str, doing: str
    ) -> list[tuple[Any, ...]]:
        """Execute and fetch every row."""
        try:
            with self.conn.cursor() as cur:
                cur.execute(text, list(params))
                return list(cur.fetchall())
        except pymysql.err.MySQLError as exc:
            raise self._error(exc, collection, doing) from None

    def commit(self) -> None:
        """Commit."""
        try:
            self.conn.commit()
        except pymysql.err.MySQLError as exc:
            raise self.failed(exc, "committing") from None

    def rollback(self) -> None:
        """Roll back if still connected."""
        if self.conn.open:
            self.conn.rollback()

    def test(self) -> str:
        """``SELECT VERSION()``."""
        try:
            with self.conn.cursor() as cur:
                cur.execute("SELECT VERSION()")
                row = cur.fetchone()
        except pymysql.err.MySQLError as exc:
            raise self.failed(exc, "testing") from None
        return str(row[0]) if row else ""

    def close(self) -> None:
        """Close if still open."""
        if self.conn.open:
            self.conn.close()


register("mysql", MySQLConnector)
