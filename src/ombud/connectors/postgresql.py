"""PostgreSQL through psycopg 3: ``= ANY(%s)`` with one array per field, server-side cursors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Self

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from sqlalchemy.engine import URL

from ombud.connectors.base import (
    Connector,
    RowUpdate,
    failed,
    group_updates,
    query_failed,
    register,
)

_cursor_ids = itertools.count()


class PostgresConnector(Connector):
    """A psycopg connection in a transaction of its own."""

    dialect = "postgresql"
    fetch_size = 10_000
    server_cursor_over = 5_000

    def __init__(self, name: str, url: URL, conn: psycopg.Connection[dict[str, Any]]) -> None:
        super().__init__(name, url)
        self.conn = conn

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
            conn = psycopg.connect(**params, row_factory=dict_row)
        except psycopg.Error as exc:
            raise failed(name, url, exc, "connecting") from None
        return cls(name, url, conn)

    def quote(self, identifier: str) -> str:
        """Quote each dotted part with double quotes."""
        return ".".join(sql.Identifier(p).as_string(self.conn) for p in identifier.split("."))

    def fetch(
        self, collection: str, where: Mapping[str, Sequence[Any]], columns: Sequence[str]
    ) -> Iterator[dict[str, Any]]:
        """One statement: ``WHERE f1 = ANY(%s) OR f2 = ANY(%s)``, streamed in chunks."""
        where = {f: list(v) for f, v in where.items() if v}
        if not where:
            return
        text = "SELECT {} FROM {} WHERE {}".format(
            ", ".join(self.quote(c) for c in columns),
            self.quote(collection),
            " OR ".join(f"{self.quote(f)} = ANY(%s)" for f in where),
        )
        # Large value lists get a server-side cursor so memory stays bounded; small batches
        # (the common case) save its extra round trips.
        big = sum(len(v) for v in where.values()) > self.server_cursor_over
        try:
            with (
                self.conn.cursor(name=f"ombud_{next(_cursor_ids)}") if big else self.conn.cursor()
            ) as cur:
                cur.execute(text, list(where.values()))
                while batch := cur.fetchmany(self.fetch_size):
                    yield from batch
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"reading {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, "reading") from None

    def update(self, collection: str, key: str, rows: Sequence[RowUpdate]) -> int:
        """Shared values in one ``= ANY`` statement each; per-row values pipelined."""
        shared, single = group_updates(rows)
        table, quoted_key, count = self.quote(collection), self.quote(key), 0
        try:
            with self.conn.cursor() as cur:
                for items, keys in shared.items():
                    sets = ", ".join(f"{self.quote(c)} = %s" for c, _ in items)
                    cur.execute(
                        f"UPDATE {table} SET {sets} WHERE {quoted_key} = ANY(%s)",
                        [v for _, v in items] + [keys],
                    )
                    count += max(cur.rowcount, 0)
                for cols, group in single.items():
                    sets = ", ".join(f"{self.quote(c)} = %s" for c in cols)
                    cur.executemany(
                        f"UPDATE {table} SET {sets} WHERE {quoted_key} = %s",
                        [[vals[c] for c in cols] + [k] for k, vals in group],
                    )
                    count += len(group)
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"updating {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, "updating") from None
        return count

    def delete(self, collection: str, key: str, values: Sequence[Any]) -> int:
        """``DELETE ... WHERE key = ANY(%s)``."""
        if not values:
            return 0
        try:
            with self.conn.cursor() as cur:
                cur.execute(
                    f"DELETE FROM {self.quote(collection)} WHERE {self.quote(key)} = ANY(%s)",
                    [list(values)],
                )
                return max(cur.rowcount, 0)
        except psycopg.OperationalError as exc:
            raise self.failed(exc, f"deleting from {collection}") from None
        except psycopg.Error as exc:
            self.conn.rollback()
            raise query_failed(self.name, collection, exc, "deleting from") from None

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
                cur.execute("SELECT version() AS v")
                row = cur.fetchone()
            self.conn.rollback()
        except psycopg.Error as exc:
            raise self.failed(exc, "testing") from None
        return str(row["v"]) if row else ""

    def close(self) -> None:
        """Close."""
        self.conn.close()


register("postgresql", PostgresConnector)
