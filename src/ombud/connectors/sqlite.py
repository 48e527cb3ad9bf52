"""SQLite through the standard library: ``IN (...)`` chunks, rows streamed from the cursor."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

from sqlalchemy.engine import URL

from ombud.connectors.base import Connector, RowUpdate, failed, query_failed, register
from ombud.connectors.sqlchunks import delete_statements, select_statements, update_statements

# Under SQLite's default limit of 32,766 bound variables even with several fields.
CHUNK = 5_000


class SQLiteConnector(Connector):
    """A sqlite3 connection; the file must exist (a typo must not create an empty database)."""

    dialect = "sqlite"

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
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys=ON")
        return cls(name, url, conn)

    def quote(self, identifier: str) -> str:
        """Double quotes around each dotted part."""
        return ".".join('"' + p.replace('"', '""') + '"' for p in identifier.split("."))

    def _error(self, exc: sqlite3.Error, collection: str, doing: str) -> Exception:
        self.conn.rollback()
        return query_failed(self.name, collection, exc, doing)

    def fetch(
        self, collection: str, where: Mapping[str, Sequence[Any]], columns: Sequence[str]
    ) -> Iterator[dict[str, Any]]:
        """``SELECT`` per chunk, iterating the cursor."""
        for text, params in select_statements(self.quote, "?", collection, where, columns, CHUNK):
            try:
                cur = self.conn.execute(text, params)
                try:
                    for row in cur:
                        yield dict(row)
                finally:
                    cur.close()
            except sqlite3.Error as exc:
                raise self._error(exc, collection, "reading") from None

    def update(self, collection: str, key: str, rows: Sequence[RowUpdate]) -> int:
        """Shared values per ``IN`` chunk; per-row values with ``executemany``."""
        single, many = update_statements(self.quote, "?", collection, key, rows, CHUNK)
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
