"""Fixed-window rate limits for the public intake: Redis when configured, else in-process."""

from __future__ import annotations

import hashlib
import threading
from typing import Protocol

from fastapi import Request

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.errors import RateLimited, Unavailable
from ombud.logs import safe_url

WINDOW_SECONDS = 3600


class Limiter(Protocol):
    def hit(self, key: str, *, limit: int) -> bool:
        """Count one hit on ``key``; False when the limit of the current window is passed."""
        ...


def _window() -> int:
    return int(utcnow().timestamp()) // WINDOW_SECONDS


class MemoryLimiter:
    """Counts in this process only (one worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}

    def hit(self, key: str, *, limit: int) -> bool:
        """Count one hit; drop counters of past windows as we go."""
        window = _window()
        with self._lock:
            for old in [k for k in self._counts if k[1] < window]:
                del self._counts[old]
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        return count <= limit


class RedisLimiter:
    """Counts in Redis, so every worker shares the same limits."""

    def __init__(self, url: str) -> None:
        import redis

        self._url = url
        self._client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)

    def hit(self, key: str, *, limit: int) -> bool:
        """INCR the window's counter and let it expire with the window."""
        import redis

        name = f"ombud:ratelimit:{key}:{_window()}"
        try:
            pipe = self._client.pipeline()
            pipe.incr(name)
            pipe.expire(name, WINDOW_SECONDS * 2)
            count = int(pipe.execute()[0])
        except redis.exceptions.RedisError as exc:
            raise Unavailable(
                f"rate limiter cannot reach Redis at {safe_url(self._url)}: {exc}"
            ) from None
        return count <= limit

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()


def limiter_for(request: Request) -> Limiter:
    """The app's limiter, created on first use."""
    state = request.app.state
    limiter: Limiter | None = getattr(state, "dsr_limiter", None)
    if limiter is None:
        settings: Settings = state.settings
        limiter = RedisLimiter(settings.redis_url) if settings.redis_url else MemoryLimiter()
        state.dsr_limiter = limiter
    return limiter


def _digest(value: str) -> str:
    # Identities are hashed so Redis never holds an email address.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def check(request: Request, *, identity: str | None = None) -> None:
    """Count this public request against the IP and identity limits; raise ``RateLimited``."""
    settings: Settings = request.app.state.settings
    limiter = limiter_for(request)
    ip = request.client.host if request.client else "unknown"
    if not limiter.hit(f"ip:{_digest(ip)}", limit=settings.rate_limit_per_ip):
        raise RateLimited(
            f"too many requests from your address: at most {settings.rate_limit_per_ip} "
            "per hour; try again later"
        )
    if identity and not limiter.hit(
        f"id:{_digest(identity)}", limit=settings.rate_limit_per_identity
    ):
        raise RateLimited(
            f"too many requests for this identity: at most {settings.rate_limit_per_identity} "
            "per hour; try again later"
        )
