"""Connectors kept open between runs, per connection: a run takes one, hands it back rolled
back. Opening a target connection costs more than the whole engine work of one request."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from ombud.connectors.base import Connector, expand
from ombud.datamap.schemas import Connection

# A connector idle for longer is closed, not reused: the server may have dropped it.
IDLE_SECONDS = 30.0
PER_CONNECTION = 4

Key = tuple[str, str, str]
_lock = threading.Lock()
_idle: dict[Key, list[tuple[Connector, float]]] = {}


def key_of(connection: Connection) -> Key:
    """What makes two connections the same one (the URL as expanded now)."""
    return (connection.name, connection.engine or "", expand(connection.url, name=connection.name))


def take(connection: Connection, opener: Callable[[Connection], Connector]) -> Connector:
    """An idle connector of this connection, or a new one from ``opener``."""
    key = key_of(connection)
    now = time.monotonic()
    stale: list[Connector] = []
    found: Connector | None = None
    with _lock:
        entries = _idle.get(key, [])
        while entries and found is None:
            conn, since = entries.pop()
            if now - since <= IDLE_SECONDS:
                found = conn
            else:
                stale.append(conn)
    _close(stale)
    return found if found is not None else opener(connection)


def give_back(connection: Connection, conn: Connector) -> None:
    """Roll ``conn`` back and keep it for the next run (closed if that fails or too many)."""
    try:
        conn.rollback()
    except Exception:  # a broken connection is closed, never handed out again
        _close([conn])
        return
    now = time.monotonic()
    stale: list[Connector] = []
    with _lock:
        entries = _idle.setdefault(key_of(connection), [])
        entries.append((conn, now))
        if len(entries) > PER_CONNECTION:
            stale += [c for c, _ in entries[:-PER_CONNECTION]]
            del entries[:-PER_CONNECTION]
        # Connections no run asked for lately are closed (a test's or a removed database).
        for key in list(_idle):
            keep = [(c, t) for c, t in _idle[key] if now - t <= IDLE_SECONDS]
            stale += [c for c, t in _idle[key] if now - t > IDLE_SECONDS]
            if keep:
                _idle[key] = keep
            else:
                del _idle[key]
    _close(stale)


def close_all() -> None:
    """Close every idle connector (at shutdown, or when the targets change)."""
    with _lock:
        conns = [c for entries in _idle.values() for c, _ in entries]
        _idle.clear()
    _close(conns)


def _close(conns: list[Connector]) -> None:
    for conn in conns:
        # Closing a dead connection may fail; it is gone either way.
        with contextlib.suppress(Exception):
            conn.close()
