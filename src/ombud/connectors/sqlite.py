"""SQLite through the standard library: ``IN (...)`` chunks, rows streamed from the cursor."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Self

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
from ombud.connectors.columns import declared_length, kind_of
from ombud.connectors.sqlchunks import (
    count_statements,
    delete_statements,
    merge_counts,
    select_statements,
    update_statements,
)

# Under SQLite's default limit of 32,766 bound variables even with several fields.
CHUNK = 5_000


def _ended(column: str) -> str:
    # SQLite has no date type: timestamps are compared as ISO 8601 text. A value stored any other
    # way (a number of seconds, a Julian day) cannot be compared, so its row stays held.
    return f"({column} IS NOT NULL AND typeof({column}) = 'text' AND {column} <= ?)"


def _cutoff(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


class SQLiteConnector(Connector):
    """A sqlite3 connection; the file must exist (a typo must not create an empty database)."""

    dialect = "sqlite"
    mark = "?"

    def __init__(self, name: str, url: URL, conn: sqlite3.Connection) -> None:
        super().__init__(name, url)
        self.conn = conn

    @classmethod
    def open(cls, name: str, url: URL) -> Self:
        """Open the file read-write."""
        path = url.database or ""
        try:
            if not path or path == ":memory:" or not Path(path).is_file():
                raise sqlite3.OperationalError(f"no database file at {path or '(none)'}")
            conn = sqlite3.connect(
                f"file:{path}?mode=rw", uri=True, timeout=10, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise failed(name, url, exc, "connecting") from None
        conn.execute("PRAGMA foreign_keys=ON")
        return cls(name, url, conn)

    def quote(self, identifier: str) -> str:
        """Double quotes around each dotted part."""
        return ".".join('"' + p.replace('"', '""') + '"' for p in identifier.split("."))

    def _error(self, exc: sqlite3.Error, collection: str, doing: str) -> Exception:
        self.conn.rollback()
        return query_failed(self.name, collection, exc, doing)

    def fetch(
        self,
        collection: str,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        *,
        ended: Ended | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """``SELECT`` per chunk, iterating the cursor."""
        computed = (_ended, _cutoff, ended) if ended else None
        for text, params in select_statements(
            self.quote, "?", collection, where, columns, CHUNK, computed
        ):
            try:
                cur = self.conn.execute(text, params)
                try:
                    yield from cur
                finally:
                    cur.close()
            except sqlite3.Error as exc:
                raise self._error(exc, collection, "reading") from None

    def count(self, collection: str, field: str, values: Sequence[Any]) -> dict[Any, int]:
        """``COUNT(*) ... GROUP BY`` per chunk."""
        pairs: list[Sequence[Any]] = []
        try:
            for text, params in count_statements(self.quote, "?", collection, field, values, CHUNK):
                pairs.extend(self.conn.execute(text, params).fetchall())
        except sqlite3.Error as exc:
            raise self._error(exc, collection, "counting in") from None
        return merge_counts(pairs)

    def update(self, collection: str, key: str, rewrite: Rewrite) -> int:
        """Shared values per ``IN`` chunk; per-row values with ``executemany``."""
        single, many = update_statements(self.quote, "?", collection, key, rewrite, CHUNK)
        count = 0
        try:
            for text, params in single:
                count += self.conn.execute(text, params).rowcount
            for text, param_rows in many:
                self.conn.executemany(text, param_rows)
                count += len(param_rows)
        except sqlite3.Error as exc:
            raise self._error(exc, collection, "updating") from None
        return count

    def delete(self, collection: str, key: str, values: Sequence[Any]) -> int:
        """``DELETE ... IN`` per chunk."""
        count = 0
        try:
            for text, params in delete_statements(self.quote, "?", collection, key, values, CHUNK):
                count += self.conn.execute(text, params).rowcount
        except sqlite3.Error as exc:
            raise self._error(exc, collection, "deleting from") from None
        return count

    def columns(self, collection: str) -> dict[str, ColumnInfo]:
        """``PRAGMA table_info`` and ``index_list``. SQLite does not enforce a declared length
        (``VARCHAR(40)``); it is reported all the same, as what the schema means."""
        schema, _, table = collection.rpartition(".")
        prefix = self.quote(schema) + "." if schema else ""
        name = self.quote(table)
        try:
            info = self.conn.execute(f"PRAGMA {prefix}table_info({name})").fetchall()
            unique: set[str] = set()
            for _seq, index, is_unique, _origin, *_ in self.conn.execute(
                f"PRAGMA {prefix}index_list({name})"
            ).fetchall():
                if not is_unique:
                    continue
                cols = self.conn.execute(
                    f"PRAGMA {prefix}index_info({self.quote(index)})"
                ).fetchall()
                if len(cols) == 1 and cols[0][2] is not None:
                    unique.add(cols[0][2])
        except sqlite3.Error as exc:
            raise self._error(exc, collection, "reading the columns of") from None
        out: dict[str, ColumnInfo] = {}
        for _cid, column, declared, notnull, _default, pk in info:
            out[column] = ColumnInfo(
                name=column,
                type=declared or "",
                kind=kind_of(declared or ""),
                nullable=not notnull and not pk,
                primary_key=bool(pk),
                unique=column in unique,
                max_length=declared_length(declared or ""),
            )
        return out

    def leads_index(self, collection: str, column: str) -> bool:
        """An index (or the rowid, for an ``INTEGER PRIMARY KEY``) whose first column is
        ``column``, without a ``WHERE`` (a partial index does not cover every row)."""
        schema, _, table = collection.rpartition(".")
        prefix = self.quote(schema) + "." if schema else ""
        name = self.quote(table)
        try:
            info = self.conn.execute(f"PRAGMA {prefix}table_info({name})").fetchall()
            keys = [row for row in info if row[5]]
            if len(keys) == 1 and keys[0][1] == column and str(keys[0][2]).upper() == "INTEGER":
                return True
            for _seq, index, _unique, _origin, partial in self.conn.execute(
                f"PRAGMA {prefix}index_list({name})"
            ).fetchall():
                first = self.conn.execute(
                    f"PRAGMA {prefix}index_info({self.quote(index)})"
                ).fetchone()
                if not partial and first is not None and first[2] == column:
                    return True
        except sqlite3.Error as exc:
            raise self._error(exc, collection, "reading the indexes of") from None
        return False

    def rows(
        self, text: str, params: Sequence[Any], *, collection: str, doing: str
    ) -> list[tuple[Any, ...]]:
        """Execute and fetch every row."""
        try:
            return self.conn.execute(text, list(params)).fetchall()
        except sqlite3.Error as exc:
            raise self._error(exc, collection, doing) from None

    def execute(self, text: str, params: Sequence[Any], *, collection: str, doing: str) -> int:
        """Execute; the rows changed."""
        try:
            return int(self.conn.execute(text, list(params)).rowcount)
        except sqlite3.Error as exc:
            raise self._error(exc, collection, doing) from None

    def ended(self, column_sql: str) -> str:
        """Timestamps compared as ISO 8601 text (see ``_ended``)."""
        return _ended(column_sql)

    def cutoff(self, value: datetime) -> Any:
        """The cutoff as ISO 8601 text."""
        return _cutoff(value)

    def commit(self) -> None:
        """Commit."""
        self.conn.commit()

    def rollback(self) -> None:
        """Roll back."""
        self.conn.rollback()

    def test(self) -> str:
        """``SELECT sqlite_version()``."""
        row = self.conn.execute("SELECT sqlite_version()").fetchone()
        return f"SQLite {row[0]}"

    def close(self) -> None:
        """Close."""
        self.conn.close()


register("sqlite", SQLiteConnector)
