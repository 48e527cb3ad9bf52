"""How a run walks a collection, one slice (one statement, one transaction) at a time, with a
position (a key) the journal records so a killed run resumes after it.

- ``KeySet`` (PostgreSQL): one pass selects the keys of every changeable row into a temporary
  table on the server (the planner reads them as it would for a single ``DELETE``: by the
  timestamp's index when there is one, so the rows still in their period are not read); each
  slice changes the rows of the next keys, checking every condition again (a hold or a
  restriction set meanwhile still wins).
- ``KeyRanges`` (SQLite, MariaDB, and PostgreSQL without the right to create temporary
  tables): each slice is the next range of the key index, changed in one statement that scans
  only that range.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from ombud.connectors.base import Connector
from ombud.retention.planner import Step
from ombud.retention.targets import Query

_ids = itertools.count()


class Slicer:
    """Walks one step's changeable rows; ``walks`` names the key the position is a value of."""

    def __init__(self, query: Query, table: str, key: str, alias: str) -> None:
        self.query, self.conn, self.step = query, query.conn, query.step
        self.table, self.key, self.alias = table, key, alias

    @property
    def walks(self) -> str:
        """``table.key``: the journal's position is a value of this column."""
        return f"{self.table}.{self.key}"

    def open(self, after: Any) -> None:
        """Prepare to walk from the key after ``after`` (None: from the first); the caller
        commits."""

    def next_slice(self, after: Any, window: int) -> tuple[Any, int]:
        """Change the changeable rows among the next ``window`` keys after ``after``; the
        slice's last key (None: none is left after it) and the number of rows changed."""
        raise NotImplementedError

    def durable(self) -> None:
        """Make the open transaction's commit wait until it, and every commit before it, is on
        disk: called before the journal records a position."""
        if self.conn.dialect == "postgresql":
            self._run("SET LOCAL synchronous_commit = on", [], "committing")

    def close(self) -> None:
        """Release what ``open`` took on the server."""

    def _run(self, text: str, params: list[Any], doing: str) -> list[tuple[Any, ...]]:
        return self.conn.rows(text, params, collection=self.step.collection, doing=doing)


class KeySet(Slicer):
    """The changeable rows' keys, read in one pass into a temporary table on the server (no
    key travels to Ombud: each slice is one statement that takes the next keys from it)."""

    def __init__(self, query: Query) -> None:
        assert query.step.key is not None
        super().__init__(query, query.step.table, query.step.key, "ombud_t")
        self.keys = f"ombud_keys_{next(_ids)}"
        self.opened = False

    def open(self, after: Any) -> None:
        """Fill the temporary table (and index it: each slice reads a range of it)."""
        key = f"ombud_t.{self.conn.quote(self.key)}"
        where, params = self.query.changeable()
        if after is not None:
            where += f" AND {key} > {self.conn.mark}"
            params.append(after)
        self._run(
            f"CREATE TEMPORARY TABLE {self.keys} AS SELECT {key} AS ombud_k "
            f"FROM {self.query.source} WHERE {where}",
            params,
            "selecting the expired rows of",
        )
        self._run(f"CREATE INDEX ON {self.keys} (ombud_k)", [], "selecting the expired rows of")
        self.opened = True

    def next_slice(self, after: Any, window: int) -> tuple[Any, int]:
        """Change the rows of the next ``window`` keys (conditions checked again)."""
        lower, params = ("WHERE ombud_k > %s ", [after]) if after is not None else ("", [])
        # ``= ANY(ARRAY(...))``: a lookup by the key's index for each key of the slice. As a
        # join the planner can choose to hash the slice and scan the whole table.
        change, values = self.query.change(
            (f"ombud_t.{self.conn.quote(self.key)} = ANY(ARRAY(SELECT ombud_k FROM ombud_w))", [])
        )
        [(upper, seen, changed)] = self._run(
            f"WITH ombud_w AS (SELECT ombud_k FROM {self.keys} {lower}"
            f"ORDER BY ombud_k LIMIT {int(window)}), ombud_d AS ({change} RETURNING 1) "
            "SELECT (SELECT max(ombud_k) FROM ombud_w), (SELECT count(*) FROM ombud_w), "
            "(SELECT count(*) FROM ombud_d)",
            params + values,
            "changing",
        )
        return (upper if int(seen) >= window else None), int(changed)

    def close(self) -> None:
        """Drop the temporary table (a connection that ends takes it along)."""
        if self.opened:
            self._run(f"DROP TABLE {self.keys}", [], "selecting the expired rows of")
            self.opened = False


class KeyRanges(Slicer):
    """Ranges of a key index: the collection's own, or for rows whose period counts from a
    parent row, the parent's (a slice then reads a range of parents and finds their expired
    children by index, instead of looking up the parent of every child)."""

    def __init__(self, query: Query, *, through_parent: bool) -> None:
        step = query.step
        if through_parent and step.via is not None:
            super().__init__(query, step.via.table, step.via.key, "ombud_p")
        else:
            assert step.key is not None
            super().__init__(query, step.table, step.key, "ombud_t")

    def window_end(self, after: Any, window: int) -> Any:
        """The key ``window`` rows past ``after`` in key order (None: fewer are left).

        Reading the key index only, so a batch scans a bounded slice of the table however
        few of its rows have expired (one query over the whole table per batch would make a
        run quadratic in the table's size)."""
        key, mark = self.conn.quote(self.key), self.conn.mark
        where, params = (f" WHERE {key} > {mark}", [after]) if after is not None else ("", [])
        rows = self._run(
            f"SELECT {key} FROM {self.conn.quote(self.table)}{where} "
            f"ORDER BY {key} LIMIT 1 OFFSET {int(window) - 1}",
            params,
            "reading",
        )
        return rows[0][0] if rows else None

    def next_slice(self, after: Any, window: int) -> tuple[Any, int]:
        """One statement changes the changeable rows with ``after < key <= window_end``."""
        upper = self.window_end(after, window)
        key, mark = f"{self.alias}.{self.conn.quote(self.key)}", self.conn.mark
        bounds: list[str] = []
        params: list[Any] = []
        if after is not None:
            bounds.append(f"{key} > {mark}")
            params.append(after)
        if upper is not None:
            bounds.append(f"{key} <= {mark}")
            params.append(upper)
        text, values = self.query.change((" AND ".join(bounds) or "1 = 1", params))
        changed = self.conn.execute(text, values, collection=self.step.collection, doing="changing")
        return upper, changed


def slicer(conn: Connector, step: Step, now: datetime) -> Slicer:
    """The walk for this database: a key set on PostgreSQL, key ranges elsewhere."""
    query = Query(conn, step, now)
    if conn.dialect == "postgresql" and may_create_temporary_tables(conn, step):
        return KeySet(query)
    return KeyRanges(query, through_parent=through_parent(conn, step))


def may_create_temporary_tables(conn: Connector, step: Step) -> bool:
    """True when the connection's role may create temporary tables (PostgreSQL grants it to
    everyone unless an administrator revoked it)."""
    [(allowed,)] = conn.rows(
        "SELECT has_database_privilege(current_database(), 'TEMP')", [],
        collection=step.collection, doing="preparing",
    )  # fmt: skip
    return bool(allowed)


def through_parent(conn: Connector, step: Step) -> bool:
    """Walk a step whose period counts from a parent row by the parent's key when both ends
    of the reference are indexed (else every slice would scan the children)."""
    if step.via is None or step.timestamp is None:
        return False
    return conn.leads_index(step.table, step.timestamp) and conn.leads_index(
        step.via.table, step.via.key
    )
