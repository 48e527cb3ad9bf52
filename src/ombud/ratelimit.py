"""One limiter for everything public that sends mail or checks a code: per IP, per address and
per target, in fixed hourly windows; Redis when configured (shared by workers), else in process.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.errors import RateLimited, Unavailable
from ombud.i18n import Duration, lazy

WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Verdict:
    """One counted hit: allowed or not, and seconds until the window ends."""

    allowed: bool
    retry_after: int


class Limiter(Protocol):
    def hit(self, key: str, *, limit: int) -> Verdict:
        """Count one hit on ``key``; not allowed once the window's limit is passed."""
        ...

    def count_refusal(self, scope: str) -> None:
        """Count one 429 answered for ``scope`` (shown to staff in metrics)."""
        ...

    def refusals(self) -> dict[str, int]:
        """429 answers per scope since start (in process) or ever (Redis)."""
        ...


def _window() -> tuple[int, int]:
    now = int(utcnow().timestamp())
    return now // WINDOW_SECONDS, WINDOW_SECONDS - now % WINDOW_SECONDS


class MemoryLimiter:
    """Counts in this process only (one worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], int] = {}
        self._refusals: Counter[str] = Counter()

    def hit(self, key: str, *, limit: int) -> Verdict:
        """Count one hit; drop counters of past windows as we go."""
        window, left = _window()
        with self._lock:
            for old in [k for k in self._counts if k[1] < window]:
                del self._counts[old]
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        return Verdict(count <= limit, left)

    def count_refusal(self, scope: str) -> None:
        """Count one 429."""
        with self._lock:
            self._refusals[scope] += 1

    def refusals(self) -> dict[str, int]:
        """429 answers per scope since the process started."""
        with self._lock:
            return dict(self._refusals)


class RedisLimiter:
    """Counts in Redis, so every worker shares the same limits."""

    def __init__(self, url: str, prefix: str = "ombud:") -> None:
        import redis

        self._where = _redacted(url)
        self._prefix = prefix
        self._client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)

    def _error(self, exc: Exception) -> Unavailable:
        # The URL may hold a password: name the host only.
        return Unavailable(
            f"rate limiter cannot reach Redis at {self._where}: {type(exc).__name__}"
        )

    def hit(self, key: str, *, limit: int) -> Verdict:
        """INCR the window's counter and let it expire with the window."""
        import redis

        window, left = _window()
        name = f"{self._prefix}ratelimit:{key}:{window}"
        try:
            pipe = self._client.pipeline()
            pipe.incr(name)
            pipe.expire(name, WINDOW_SECONDS * 2)
            count = int(pipe.execute()[0])
        except redis.exceptions.RedisError as exc:
            raise self._error(exc) from None
        return Verdict(count <= limit, left)

    def count_refusal(self, scope: str) -> None:
        """HINCRBY one field of the refusals hash; a Redis outage never hides the 429 itself."""
        import redis

        with contextlib.suppress(redis.exceptions.RedisError):
            self._client.hincrby(f"{self._prefix}metrics:rate_limited", scope, 1)

    def refusals(self) -> dict[str, int]:
        """429 answers per scope, shared by every worker."""
        import redis

        try:
            raw = self._client.hgetall(f"{self._prefix}metrics:rate_limited")
        except redis.exceptions.RedisError as exc:
            raise self._error(exc) from None
        return {_text(k): int(v) for k, v in raw.items()}

    def close(self) -> None:
        """Release the connection pool."""
        self._client.close()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _redacted(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.rsplit("@", 1)[-1].split("/", 1)[0]


def limiter_for(request: Request) -> Limiter:
    """The app's limiter, created on first use."""
    state = request.app.state
    limiter: Limiter | None = getattr(state, "limiter", None)
    if limiter is None:
        settings: Settings = state.settings
        if settings.redis_url:
            limiter = RedisLimiter(settings.redis_url, settings.redis_prefix)
        else:
            limiter = MemoryLimiter()
        state.limiter = limiter
    return limiter


def _digest(value: str) -> str:
    # Identities are hashed so Redis never holds an email address.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def client_ip(request: Request) -> str:
    """The client's address (from a trusted proxy's header when configured)."""
    return request.client.host if request.client else "unknown"


def check(
    request: Request,
    *,
    scope: str,
    address: str | None = None,
    target: str | None = None,
) -> None:
    """Count this public action against the IP, address and target limits; raise
    ``RateLimited`` (with ``retry_after``) when one is passed.

    ``scope`` names the action for metrics ("intake", "code", "verify", ...); the counters
    themselves are shared by every scope, so one address cannot be mailed more often by
    switching forms."""
    settings: Settings = request.app.state.settings
    limiter = limiter_for(request)
    checks = [
        ("ip", client_ip(request), settings.rate_limit_per_ip, lazy("from your address")),
        ("addr", address, settings.rate_limit_per_identity, lazy("for this email address")),
        ("target", target, settings.rate_limit_per_target, lazy("for this request")),
    ]
    for kind, value, limit, what in checks:
        if not value:
            continue
        verdict = limiter.hit(f"{kind}:{_digest(value)}", limit=limit)
        if not verdict.allowed:
            limiter.count_refusal(scope)
            raise RateLimited(
                lazy(
                    "Too many requests {what}: at most {limit} per hour. "
                    "Please try again in {wait}.",
                    what=what,
                    limit=limit,
                    wait=Duration(verdict.retry_after),
                ),
                retry_after=verdict.retry_after,
            )


def check_banner(request: Request, *, device_id: str) -> None:
    """Count one cookie banner choice against its own per-IP and per-device limits (apart
    from the public forms' counters: a busy website must not lock out a mail form)."""
    settings: Settings = request.app.state.settings
    limiter = limiter_for(request)
    checks = [
        (
            "banner-ip",
            client_ip(request),
            settings.rate_limit_banner_per_ip,
            lazy("from your address"),
        ),
        (
            "banner-device",
            device_id,
            settings.rate_limit_banner_per_device,
            lazy("for this device"),
        ),
    ]
    for kind, value, limit, what in checks:
        verdict = limiter.hit(f"{kind}:{_digest(value)}", limit=limit)
        if not verdict.allowed:
            limiter.count_refusal("banner")
            raise RateLimited(
                lazy(
                    "Too many cookie choices {what}: at most {limit} per hour. "
                    "Please try again in {wait}.",
                    what=what,
                    limit=limit,
                    wait=Duration(verdict.retry_after),
                ),
                retry_after=verdict.retry_after,
            )


def refused(request: Request, scope: str) -> None:
    """Count a 429 answered outside ``check`` (a code locked after too many wrong tries)."""
    limiter_for(request).count_refusal(scope)
