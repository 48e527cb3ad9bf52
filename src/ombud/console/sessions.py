"""Console sign-in: password check with lockout, sessions with idle and absolute timeouts."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.console import repository
from ombud.errors import RateLimited, Unauthorized
from ombud.models.console import LoginFailure, StaffSession
from ombud.models.staff import StaffUser
from ombud.staff import service as staff_service

MAX_LOCK_SECONDS = 3600


def hash_secret(secret: str) -> str:
    """The stored form of a session secret (random, so SHA-256 suffices)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _key(kind: str, value: str) -> str:
    # Hashed: the table never holds an email address or an IP.
    return f"{kind}:" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:64]


@dataclass(frozen=True)
class Opened:
    """A new session; ``secret`` goes into the cookie and is never stored."""

    session: StaffSession
    secret: str


def _minutes(seconds: float) -> str:
    minutes = max(1, int(seconds + 59) // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _check_unlocked(session: Session, keys_: list[str], now: datetime) -> None:
    for key in keys_:
        row = repository.failure(session, key)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            wait = (row.locked_until - now).total_seconds()
            raise RateLimited(
                "too many failed sign-ins for this account or from your address; "
                f"try again in {_minutes(wait)}",
                retry_after=int(wait) + 1,
            )


def _count_failure(session: Session, key: str, *, threshold: int, base: int, now: datetime) -> None:
    row = repository.failure(session, key)
    if row is None:
        row = LoginFailure(key=key, failures=0, last_failure_at=now)
        repository.add(session, row)
    elif row.last_failure_at + timedelta(seconds=MAX_LOCK_SECONDS * 24) < now:
        row.failures = 0  # a day without failures: start again
    row.failures += 1
    row.last_failure_at = now
    if row.failures >= threshold:
        seconds = min(base * 2 ** (row.failures - threshold), MAX_LOCK_SECONDS)
        row.locked_until = now + timedelta(seconds=seconds)
    session.flush()


def check_unlocked(session: Session, *, email: str, ip: str) -> None:
    """``RateLimited`` while the account or the address is locked."""
    _check_unlocked(session, [_key("acct", email), _key("ip", ip)], utcnow())


def count_failure(session: Session, settings: Settings, *, email: str, ip: str) -> None:
    """Count one failed sign-in (a wrong password or second-factor code)."""
    now, base = utcnow(), settings.console_lockout_seconds
    _count_failure(
        session, _key("acct", email), threshold=settings.console_lockout_after, base=base, now=now
    )
    _count_failure(
        session, _key("ip", ip), threshold=settings.console_lockout_after_ip, base=base, now=now
    )
    audit.record(
        session,
        action="console.sign_in_failed",
        actor="console",
        subject_type="staff",
        subject_id="*",
        data={},
    )


def check_password(
    session: Session, settings: Settings, *, email: str, password: str, ip: str
) -> StaffUser:
    """The user whose password matches; counts failures per account and per address and
    refuses (429) while either is locked. The caller must commit even when this raises
    ``Unauthorized``, so the failure counts."""
    check_unlocked(session, email=email, ip=ip)
    try:
        user = staff_service.authenticate_password(session, email=email, password=password)
    except Unauthorized:
        count_failure(session, settings, email=email, ip=ip)
        raise
    return user


def succeeded(session: Session, user: StaffUser) -> None:
    """Forget the account's failures once the user is fully signed in."""
    repository.clear_failure(session, _key("acct", user.email))


def open_session(
    session: Session, settings: Settings, user: StaffUser, *, needs_second_factor: bool
) -> Opened:
    """Start a session for ``user`` (waiting for the second factor when it has one)."""
    now = utcnow()
    # Housekeeping on the way: the user's old sessions and long-forgotten failure counts go.
    idle_before = now - timedelta(minutes=settings.console_idle_minutes)
    repository.delete_stale(session, user_id=user.id, idle_before=idle_before, now=now)
    secret = secrets.token_urlsafe(32)
    row = StaffSession(
        user_id=user.id,
        secret_hash=hash_secret(secret),
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.console_session_hours),
        needs_second_factor=needs_second_factor,
    )
    repository.add(session, row)
    if not needs_second_factor:
        _signed_in(session, row, user)
    return Opened(row, secret)


def _signed_in(session: Session, row: StaffSession, user: StaffUser) -> None:
    audit.record(
        session,
        action="console.signed_in",
        actor=user.email,
        subject_type="staff",
        subject_id=user.id,
        data={"session": row.id[:8]},
    )


def second_factor_given(session: Session, row: StaffSession, user: StaffUser) -> None:
    """The second factor was given: the session opens the console."""
    row.needs_second_factor = False
    session.flush()
    _signed_in(session, row, user)


def resume(session: Session, settings: Settings, secret: str) -> StaffSession | None:
    """The live session of a cookie, touched; None (and ended) once idle or past its limit."""
    row = repository.session_by_hash(session, hash_secret(secret))
    if row is None or not row.user.active:
        return None
    now = utcnow()
    idle = timedelta(minutes=settings.console_idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at > idle:
        row.ended_at = now
        session.flush()
        return None
    # Touch at most once a minute: a page with several requests writes once.
    if now - row.last_seen_at > timedelta(seconds=60):
        row.last_seen_at = now
        session.flush()
    return row


def sign_out(session: Session, row: StaffSession) -> None:
    """End one session."""
    row.ended_at = utcnow()
    session.flush()
    audit.record(
        session,
        action="console.signed_out",
        actor=row.user.email,
        subject_type="staff",
        subject_id=row.user_id,
        data={"sessions": 1},
    )


def sign_out_everywhere(session: Session, row: StaffSession) -> int:
    """End every session of the user of ``row`` (this one too); return how many."""
    count = repository.end_sessions(session, row.user_id, at=utcnow())
    audit.record(
        session,
        action="console.signed_out",
        actor=row.user.email,
        subject_type="staff",
        subject_id=row.user_id,
        data={"sessions": count, "everywhere": True},
    )
    return count
