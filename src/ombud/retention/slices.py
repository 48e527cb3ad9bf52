"""How a run walks a collection, one slice (one statement, one transaction) at a time, with a
position (a key) the journal records so a killed run resumes after it.

- ``KeySet`` (PostgreSQL): one pass selects the keys of every changeable row, in key order,
  into a cursor held on the server (the planner reads them as it would for a single
  ``DELETE``: by the timestamp's index when there is one); each slice fetches the next keys and
  changes those rows, checking every condition again (a hold or a restriction set meanwhile
  still wins).
- ``KeyRanges`` (SQLite, MariaDB): each slice is the next range of the key index, changed in
  one statement that scans only that range.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from ombud.connectors.base import Connector
from ombud.retention.planner import Step
from ombud.retention.targets import Query

_cursor_ids = itertools.count()


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
    """The changeable rows' keys, read in one pass into a cursor held on the server."""

    def __init__(self, query: Query) -> None:
        assert query.step.key is not None
        super().__init__(query, query.step.table, query.step.key, "ombud_t")
        self.cursor = f"ombud_keys_{next(_cursor_ids)}"
        self.opened = False

    def open(self, after: Any) -> None:
        """Declare the cursor; the caller's commit reads its rows (WITH HOLD keeps them)."""
        key = f"ombud_t.{self.conn.quote(self.key)}"
        where, params = self.query.changeable()
        if after is not None:
            where += f" AND {key} > {self.conn.mark}"
            params.append(after)
        self._run(
            f"DECLARE {self.cursor} NO SCROLL CURSOR WITH HOLD FOR SELECT {key} "
            f"FROM {self.query.source} WHERE {where} ORDER BY {key}",
            params,
            "selecting the expired rows of",
        )
        self.opened = True

    def next_slice(self, after: Any, window: int) -> tuple[Any, int]:
        """Fetch the next ``window`` keys and change their rows (conditions checked again)."""
        rows = self._run(f"FETCH FORWARD {int(window)} FROM {self.cursor}", [], "reading")
        if not rows:
            return None, 0
        keys = [row[0] for row in rows]
        del rows
        text, params = self.query.change(
            (f"ombud_t.{self.conn.quote(self.key)} = ANY({self.conn.mark})", [keys])
        )
        changed = self.conn.execute(text, params, collection=self.step.collection, doing="changing")
        return (keys[-1] if len(keys) >= window else None), changed

    def close(self) -> None:
        """Close the cursor (a connection that dies takes it along)."""
        if self.opened:
            self._run(f"CLOSE {self.cursor}", [], "reading")
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
    if conn.dialect == "postgresql":
        return KeySet(query)
    return KeyRanges(query, through_parent=through_parent(conn, step))


def through_parent(conn: Connector, step: Step) -> bool:
    """Walk a step whose period counts from a parent row by the parent's key when both ends
    of the reference are indexed (else every slice would scan the children)."""
    if step.via is None or step.timestamp is None:
        return False
    return conn.leads_index(step.table, step.timestamp) and conn.leads_index(
        step.via.table, step.via.key
    )
