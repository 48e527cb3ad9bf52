"""One-time codes: random, stored as an HMAC-SHA256 keyed with the secret key, expiring, locking."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from ombud import config, keys
from ombud.clock import utcnow
from ombud.dsr import repository
from ombud.i18n import Duration, Lazy, lazy, lazy_plural
from ombud.models.requests import VerificationCode

CODE_DIGITS = 6


def hash_code(request_id: str, code: str) -> str:
    """Keyed hash of a code, bound to its request so a hash cannot be replayed elsewhere."""
    key = keys.current(config.get_settings(), keys.REQUEST_CODES)
    return hmac.new(key, f"{request_id}:{code.strip()}".encode(), hashlib.sha256).hexdigest()


def retry_in_minutes(created_at: datetime, now: datetime) -> int:
    """Minutes until a locked code's tries stop counting and a new code gives new tries."""
    lockout = timedelta(minutes=config.get_settings().verification_lockout_minutes)
    return max(1, math.ceil((created_at + lockout - now).total_seconds() / 60))


def issue(session: Session, request_id: str) -> str:
    """Replace any open code with a fresh one; return the code (never stored in clear)."""
    now = utcnow()
    settings = config.get_settings()
    # A fresh code must never give new guesses: it starts with the tries still counting.
    since = now - timedelta(minutes=settings.verification_lockout_minutes)
    attempts = repository.recent_attempts(session, request_id, since=since)
    max_attempts = settings.verification_max_attempts
    repository.supersede_codes(session, request_id, at=now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    ttl = config.get_settings().verification_code_ttl_minutes
    repository.add(
        session,
        VerificationCode(
            request_id=request_id,
            code_hash=hash_code(request_id, code),
            expires_at=now + timedelta(minutes=ttl),
            attempts=attempts,
            locked_at=now if attempts >= max_attempts else None,
        ),
    )
    return code


@dataclass(frozen=True)
class Check:
    """Outcome of one attempt: ``ok`` or why not (``reason`` is a stable word)."""

    ok: bool
    reason: str = ""
    message: str = ""
    attempts_left: int = 0
    # The message for a person, said in the language of the page that shows it.
    phrase: Lazy | None = None


def _locked(code: VerificationCode, now: datetime, *, now_locked: bool = False) -> Check:
    minutes = retry_in_minutes(code.created_at, now)
    state = "is now locked" if now_locked else "is locked"
    return Check(
        False,
        "locked",
        f"too many wrong codes: this request {state}; ask for a new code in {minutes} minute(s)",
        phrase=lazy(
            "Too many wrong codes: this request is locked. Ask for a new code in {wait}.",
            wait=Duration(minutes * 60),
        ),
    )


def check(session: Session, request_id: str, code: str) -> Check:
    """Count one attempt at the open code of a request; lock it after too many.

    The attempt is added by the database (``attempts = attempts + 1``) on the locked row, so
    parallel guesses queue and each one counts."""
    now = utcnow()
    current = repository.live_code(session, request_id)
    if current is None:
        return Check(
            False,
            "no_code",
            "there is no open code for this request; ask for a new one",
            phrase=lazy("There is no open code for this request. Ask for a new one."),
        )
    if current.locked_at is not None:
        return _locked(current, now)
    if current.expires_at <= now:
        return Check(
            False,
            "expired",
            "this code has expired; ask for a new one",
            phrase=lazy("This code has expired. Ask for a new one."),
        )
    max_attempts = config.get_settings().verification_max_attempts
    attempts = repository.count_attempt(session, current)
    if attempts > max_attempts:
        current.locked_at = now
        session.flush()
        return _locked(current, now)
    if hmac.compare_digest(current.code_hash, hash_code(request_id, code)):
        current.used_at = now
        session.flush()
        return Check(True)
    left = max(max_attempts - attempts, 0)
    if left == 0:
        current.locked_at = now
        session.flush()
        return _locked(current, now, now_locked=True)
    return Check(
        False,
        "wrong_code",
        f"wrong code; {left} attempt(s) left",
        attempts_left=left,
        phrase=lazy_plural(
            "That code is wrong. You have {n} more try.",
            "That code is wrong. You have {n} more tries.",
            left,
        ),
    )
