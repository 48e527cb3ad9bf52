"""All SQL that retention runs on the company's databases: counting what a rule would do, and
picking the next batch of expired rows. Built with the connector's quoting and placeholder, so
one text serves SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ombud.connectors.base import Connector
from ombud.retention.planner import Step

# A piece of SQL and its parameters, in placeholder order.
Sql = tuple[str, list[Any]]


@dataclass(frozen=True)
class Counts:
    """What one step finds in its collection now."""

    rows: int
    past: int  # past their period
    no_timestamp: int  # NULL timestamp: kept and reported
    held: dict[str, int]  # per hold rule: past rows it keeps
    referenced: int  # past, not held, but still referred to by other rows: kept
    to_change: int  # past, not held, not referred to, not yet changed
    oldest: datetime | None


def _and(*parts: Sql) -> Sql:
    return " AND ".join(f"({p})" for p, _ in parts), [v for _, ps in parts for v in ps]


def _or(parts: list[Sql]) -> Sql:
    if not parts:
        return "1 = 0", []
    return " OR ".join(f"({p})" for p, _ in parts), [v for _, ps in parts for v in ps]


def _not(part: Sql) -> Sql:
    return f"NOT ({part[0]})", part[1]


class Query:
    """The SQL of one step on one connector, for one moment ``now``."""

    def __init__(self, conn: Connector, step: Step, now: datetime) -> None:
        self.conn, self.step, self.now = conn, step, now
        if conn.dialect == "postgresql":
            # Session settings (they last once the transaction that set them commits):
            # - a slice's statement is short but its cost estimate crosses jit_above_cost:
            #   compiling it took longer than running it (40 ms for 2,000 index lookups);
            # - slices commit without waiting for the disk; the commit before each journal
            #   entry waits (``durable``), which flushes every earlier one too, so a crash of
            #   the server can only undo slices the journal does not count yet;
            for setting in ("jit = off", "synchronous_commit = off"):
                conn.rows(f"SET {setting}", [], collection=step.collection, doing="preparing")
        q = conn.quote
        self.source = f"{q(step.table)} ombud_t"
        self.join = ""  # ombud_t's parent row, for the statements that change rows
        if step.via is not None:
            self.join = f"ombud_p.{q(step.via.key)} = ombud_t.{q(step.timestamp or '')}"
            self.source += f" LEFT JOIN {q(step.via.table)} ombud_p ON {self.join}"
            self.ts = f"ombud_p.{q(step.via.column)}"
        else:
            self.ts = f"ombud_t.{q(step.timestamp or '')}"

    def expired(self) -> Sql:
        """Rows whose period has ended."""
        assert self.step.period is not None
        cutoff = self.step.period.subtract_from(self.now)
        return self.conn.ended(self.ts), [self.conn.cutoff(cutoff)]

    def held(self, index: int) -> Sql:
        """Rows the ``index``-th timed hold still keeps (its own period has not ended)."""
        hold = self.step.holds[index]
        table = "ombud_p" if hold.rule in self.step.parent_holds else "ombud_t"
        column = f"{table}.{self.conn.quote(hold.timestamp_field or '')}"
        return _not((self.conn.ended(column), [self.conn.cutoff(hold.cutoff(self.now))]))

    def restricted(self) -> Sql:
        """Rows whose processing is restricted (GDPR Art. 18): kept while the flag is set."""
        if self.step.restriction is None:
            return "1 = 0", []
        column, value, on_parent = self.step.restriction
        if on_parent and self.step.via is None:
            return "1 = 0", []
        table = "ombud_p" if on_parent else "ombud_t"
        return f"{table}.{self.conn.quote(column)} = {self.conn.mark}", [value]

    def any_held(self) -> Sql:
        """Rows any timed hold, or a restriction, keeps."""
        return _or([*(self.held(i) for i in range(len(self.step.holds))), self.restricted()])

    def referenced(self) -> Sql:
        """Rows other rows still point at (deleting them would orphan those rows)."""
        if self.step.action != "delete" or self.step.key is None:
            return "1 = 0", []
        q = self.conn.quote
        return _or(
            [
                (
                    f"EXISTS (SELECT 1 FROM {q(r.table)} ombud_r "
                    f"WHERE ombud_r.{q(r.column)} = ombud_t.{q(self.step.key)})",
                    [],
                )
                for r in self.step.referrers
            ]
        )

    def pending(self) -> Sql:
        """Rows not changed yet: for anonymising, one masked field still holds another value."""
        if self.step.action != "anonymise":
            return "1 = 1", []
        q = self.conn.quote
        parts: list[Sql] = []
        for mask in self.step.masks:
            column = f"ombud_t.{q(mask.field)}"
            if mask.value is None:
                parts.append((f"{column} IS NOT NULL", []))
            else:
                parts.append(
                    (f"{column} IS NOT NULL AND {column} <> {self.conn.mark}", [mask.value])
                )
        return _or(parts)

    def changeable(self) -> Sql:
        """Expired, not held, not referred to, not changed yet."""
        return _and(self.expired(), _not(self.any_held()), _not(self.referenced()), self.pending())

    def counts(self) -> Counts:
        """Count what the step would do (one statement)."""
        step = self.step
        parts: list[Sql] = [
            (f"{self.ts} IS NULL", []),
            self.expired(),
            *[_and(self.expired(), self.held(i)) for i in range(len(step.holds))],
            _and(self.expired(), self.restricted()),
            _and(self.expired(), _not(self.any_held()), self.referenced()),
            self.changeable(),
        ]
        sums = [f"SUM(CASE WHEN {sql} THEN 1 ELSE 0 END)" for sql, _ in parts]
        text = f"SELECT COUNT(*), {', '.join(sums)}, MIN({self.ts}) FROM {self.source}"
        params = [v for _, ps in parts for v in ps]
        [row] = self.conn.rows(text, params, collection=step.collection, doing="counting in")
        total, nulls, past, *rest = row
        n_holds = len(step.holds)
        held = {h.rule: int(v or 0) for h, v in zip(step.holds, rest[:n_holds], strict=True)}
        restricted, referenced, to_change, oldest = rest[n_holds:]
        if step.restriction is not None:
            held["restriction"] = int(restricted or 0)
        return Counts(
            rows=int(total or 0),
            past=int(past or 0),
            no_timestamp=int(nulls or 0),
            held=held,
            referenced=int(referenced or 0),
            to_change=int(to_change or 0),
            oldest=_moment(oldest),
        )

    def change(self, where: Sql) -> Sql:
        """The statement that deletes or anonymises the changeable rows that also match
        ``where`` (on ``ombud_t`` and ``ombud_p``), and its parameters."""
        cond, params = _and(self.changeable(), where)
        # MariaDB's join form names the changed columns with their table.
        sets, values = self._sets("ombud_t." if self.conn.dialect == "mysql" else "")
        text = _STATEMENTS.get(self.conn.dialect, _in_subquery)(self, cond, sets)
        return text, values + params

    def _sets(self, prefix: str) -> Sql:
        """The ``SET`` list of an anonymising step, and its values."""
        q, mark = self.conn.quote, self.conn.mark
        masks = self.step.masks if self.step.action == "anonymise" else []
        text = ", ".join(
            f"{prefix}{q(m.field)} = " + ("NULL" if m.value is None else mark) for m in masks
        )
        return text, [m.value for m in masks if m.value is not None]


# The statement that changes a slice's rows, per dialect: (query, WHERE on ombud_t and ombud_p,
# SET list) -> SQL. The condition is applied to the table itself, so the database scans the
# slice's key range once; a self-join through ``key IN (SELECT ...)`` made PostgreSQL hash the
# slice and scan the whole table for every slice (measured: 290,000 rows read for 4,000 deleted).


def _postgresql(query: Query, where: str, sets: str) -> str:
    step, q = query.step, query.conn.quote
    table, parent = q(step.table), q(step.via.table) if step.via is not None else ""
    join = f"{query.join} AND " if query.join else ""
    if step.action == "delete":
        using = f" USING {parent} ombud_p" if parent else ""
        return f"DELETE FROM {table} ombud_t{using} WHERE {join}{where}"
    source = f" FROM {parent} ombud_p" if parent else ""
    return f"UPDATE {table} ombud_t SET {sets}{source} WHERE {join}{where}"


def _mysql(query: Query, where: str, sets: str) -> str:
    # The multi-table forms: the only ones MariaDB lets name an alias and join the parent.
    step, q = query.step, query.conn.quote
    source = f"{q(step.table)} ombud_t"
    if step.via is not None:
        source += f" JOIN {q(step.via.table)} ombud_p ON {query.join}"
    if step.action == "delete":
        return f"DELETE ombud_t FROM {source} WHERE {where}"
    return f"UPDATE {source} SET {sets} WHERE {where}"


def _in_subquery(query: Query, where: str, sets: str) -> str:
    # SQLite's DELETE and UPDATE take no join; ``key IN (...)`` looks each key up by index.
    step, q = query.step, query.conn.quote
    assert step.key is not None
    source = f"{q(step.table)} ombud_t"
    if step.via is not None:
        source += f" JOIN {q(step.via.table)} ombud_p ON {query.join}"
    cond = f"{q(step.key)} IN (SELECT ombud_t.{q(step.key)} FROM {source} WHERE {where})"
    if step.action == "delete":
        return f"DELETE FROM {q(step.table)} WHERE {cond}"
    return f"UPDATE {q(step.table)} SET {sets} WHERE {cond}"


_STATEMENTS = {"postgresql": _postgresql, "mysql": _mysql}


def _moment(value: Any) -> datetime | None:
    """A timestamp as the database returned it (SQLite: text) as a naive datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    try:
        return datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        return None
