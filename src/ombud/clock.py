"""The one clock Ombud reads, so tests can move time (deadlines, expiry, retention)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

_source: Callable[[], datetime] | None = None


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    if _source is not None:
        return _source()
    return datetime.now(UTC)


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Replace the clock (``None`` restores the system clock); for tests and simulations."""
    global _source
    _source = source
