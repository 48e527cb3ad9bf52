"""The ``Connector`` base class, the registry of engines and connection URL handling.

URLs are SQLAlchemy-style (``postgresql+psycopg://user:${PG_PASSWORD}@host/db``); ``${VAR}`` is
read from the environment when connecting, so the store only ever holds the unexpanded form."""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Self

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ombud.datamap.schemas import Connection
from ombud.errors import InvalidInput, Unavailable
from ombud.logs import scrub_driver_message

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

# Computed columns of ``Connector.fetch``: alias -> (timestamp column, cutoff). The column is
# true when the timestamp is set and at or before the cutoff: a retention period has ended.
Ended = Mapping[str, tuple[str, datetime]]


@dataclass(slots=True)
class Rewrite:
    """New values for rows of one collection: ``assign`` on every row, ``columns`` per row.

    ``values`` holds one sequence per key with a value for each of ``columns``. With
    ``keep_null`` a NULL cell stays NULL (masking a missing value leaves it missing); a ``None``
    in ``assign`` is written as NULL either way. Keys are unique."""

    keys: Sequence[Any]
    assign: Mapping[str, Any] = field(default_factory=dict)
    columns: Sequence[str] = ()
    values: Sequence[Sequence[Any]] = ()
    keep_null: bool = False


def assignments(
    quote: Callable[[str], str], mark: str, rewrite: Rewrite, per_row: Sequence[str]
) -> tuple[str, list[Any]]:
    """The ``SET`` list and the parameters of ``assign``; ``per_row`` are the expressions that
    give each of ``columns`` its row's value (placeholders or columns of a joined list)."""

    def one(column: str, expr: str) -> str:
        col = quote(column)
        if not rewrite.keep_null:
            return f"{col} = {expr}"
        # The column in the NULL branch also gives the CASE the column's type.
        return f"{col} = CASE WHEN {col} IS NULL THEN {col} ELSE {expr} END"

    sets: list[str] = []
    params: list[Any] = []
    for column, value in rewrite.assign.items():
        if value is None:
            sets.append(f"{quote(column)} = NULL")
        else:
            sets.append(one(column, mark))
            params.append(value)
    sets += [one(c, expr) for c, expr in zip(rewrite.columns, per_row, strict=True)]
    return ", ".join(sets), params


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """What the database says about one column: its declared type, the kind of value it takes
    (``text``, ``integer``, ``decimal``, ``float``, ``boolean``, ``date``, ``datetime``,
    ``time``, ``binary``, ``json``, ``uuid``, ``enum``, ``array``, ``any`` or ``other``) and its
    constraints. ``max_length`` is in characters; ``unique`` means a single-column unique
    constraint or index, ``nulls_distinct=False`` one that also refuses two NULLs."""

    name: str
    type: str
    kind: str
    nullable: bool = True
    primary_key: bool = False
    unique: bool = False
    max_length: int | None = None
    nulls_distinct: bool = True


class ConnectionFailed(Unavailable):
    """A target database cannot be reached; the message names the connection and host only."""

    code = "connection_failed"


def expand(url: str, *, name: str) -> str:
    """Replace ``${VAR}`` by the environment's value; a missing variable is an error."""

    def _sub(match: re.Match[str]) -> str:
        var = match.group(1)
        if var not in os.environ:
            raise InvalidInput(
                f"connection '{name}': environment variable {var} is not set (used in its URL)"
            )
        return os.environ[var]

    return _VAR.sub(_sub, url)


def parse(url: str, *, name: str) -> URL:
    """Parse an expanded URL; the error never repeats the URL (it may hold a password)."""
    try:
        return make_url(url)
    except ArgumentError:
        raise InvalidInput(f"connection '{name}': its URL is not a valid database URL") from None


def where(url: URL) -> str:
    """Host, port and database of a URL, for messages (never the password)."""
    if url.get_backend_name() == "sqlite":
        return f"file {url.database or ':memory:'}"
    host = url.host or "localhost"
    port = f":{url.port}" if url.port else ""
    return f"{host}{port}/{url.database or ''}"


def chunks(values: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Split ``values`` into slices of at most ``size``."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Connector(ABC):
    """One open connection to a target database; reads stream, writes wait for ``commit``."""

    dialect: ClassVar[str]
    # The driver's parameter placeholder.
    mark: ClassVar[str] = "%s"

    def __init__(self, name: str, url: URL) -> None:
        self.name = name
        self.url = url

    @classmethod
    @abstractmethod
    def open(cls, name: str, url: URL) -> Self:
        """Connect; raise ``ConnectionFailed`` naming the connection and host."""

    def failed(self, exc: BaseException, doing: str) -> ConnectionFailed:
        """The error to raise when the server went away while ``doing``."""
        return failed(self.name, self.url, exc, doing)

    @abstractmethod
    def quote(self, identifier: str) -> str:
        """Quote a table or column name (``schema.table`` is quoted part by part)."""

    @abstractmethod
    def fetch(
        self,
        collection: str,
        where: Mapping[str, Sequence[Any]],
        columns: Sequence[str],
        *,
        ended: Ended | None = None,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream rows whose ``field`` is one of its values, for any field of ``where`` (OR).

        A row is a tuple of ``columns`` followed by one truth value per ``ended`` entry."""

    @abstractmethod
    def count(self, collection: str, field: str, values: Sequence[Any]) -> dict[Any, int]:
        """Rows per stored value of ``field``, for the rows whose ``field`` is one of ``values``."""

    @abstractmethod
    def update(self, collection: str, key: str, rewrite: Rewrite) -> int:
        """Apply ``rewrite`` to the rows with its keys; return the number of rows changed."""

    @abstractmethod
    def delete(self, collection: str, key: str, values: Sequence[Any]) -> int:
        """Delete the rows whose ``key`` is one of ``values``; deleting nothing is fine."""

    @abstractmethod
    def columns(self, collection: str) -> dict[str, ColumnInfo]:
        """The columns of a table with their constraints; empty when the table does not exist."""

    @abstractmethod
    def rows(
        self, text: str, params: Sequence[Any], *, collection: str, doing: str
    ) -> list[tuple[Any, ...]]:
        """Run one statement built by a domain (with ``quote`` and ``mark``); all its rows.

        Errors name the connection, ``collection`` and what was being done (``doing``)."""

    @abstractmethod
    def execute(self, text: str, params: Sequence[Any], *, collection: str, doing: str) -> int:
        """Run one data-changing statement built by a domain; the number of rows it changed."""

    def leads_index(self, collection: str, column: str) -> bool:
        """True when an index of ``collection`` starts with ``column`` (retention walks a child
        table through its parent's keys only when it can look the children up by them)."""
        return False

    def ended(self, column_sql: str) -> str:
        """SQL that is true when a timestamp is set and at or before the cutoff parameter."""
        return f"({column_sql} IS NOT NULL AND {column_sql} <= {self.mark})"

    def cutoff(self, value: datetime) -> Any:
        """A cutoff moment as the parameter ``ended`` compares with (naive UTC)."""
        return value.replace(tzinfo=None, microsecond=0)

    @abstractmethod
    def commit(self) -> None:
        """Commit the open transaction."""

    @abstractmethod
    def rollback(self) -> None:
        """Roll back the open transaction."""

    @abstractmethod
    def test(self) -> str:
        """Run a trivial query; return the server's version text."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            self.rollback()
        self.close()


def failed(name: str, url: URL, exc: BaseException, doing: str) -> ConnectionFailed:
    """A ``ConnectionFailed`` for connection ``name``; the driver text is scrubbed of secrets."""
    reason = " ".join(str(exc).split()) or type(exc).__name__
    if url.password:
        reason = reason.replace(str(url.password), "***")
    return ConnectionFailed(
        f"connection '{name}' ({url.get_backend_name()} at {where(url)}) failed while {doing}: "
        f"{reason}"
    )


_REGISTRY: dict[str, type[Connector]] = {}


def register(engine: str, cls: type[Connector]) -> None:
    """Make ``cls`` the connector of URLs whose backend is ``engine``."""
    _REGISTRY[engine] = cls


def registered() -> list[str]:
    """Names of the engines that have a connector."""
    _load_builtin()
    return sorted(_REGISTRY)


def _load_builtin() -> None:
    # Importing registers them; done lazily so the base module stays free of drivers.
    from ombud.connectors import mysql, postgresql, sqlite  # noqa: F401


def connector_for(connection: Connection) -> Connector:
    """Open a connector for a named connection (``${VAR}`` expanded now, never stored)."""
    _load_builtin()
    url = parse(expand(connection.url, name=connection.name), name=connection.name)
    engine = connection.engine or url.get_backend_name()
    engine = {"postgres": "postgresql", "mariadb": "mysql"}.get(engine, engine)
    cls = _REGISTRY.get(engine)
    if cls is None:
        raise InvalidInput(
            f"connection '{connection.name}': no connector for engine '{engine}' "
            f"(known: {', '.join(registered())})"
        )
    return cls.open(connection.name, url)


class QueryFailed(Unavailable):
    """A statement on a target database failed (missing table or column, constraint)."""

    code = "query_failed"


def query_failed(name: str, collection: str, exc: BaseException, doing: str) -> QueryFailed:
    """A ``QueryFailed`` naming the connection, the collection and what was being done."""
    # Without the values the driver quotes: they are personal data and end up in logs.
    reason = scrub_driver_message(" ".join(str(exc).split())) or type(exc).__name__
    return QueryFailed(f"connection '{name}': {doing} collection '{collection}' failed: {reason}")
