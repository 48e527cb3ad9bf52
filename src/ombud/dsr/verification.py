"""One-time codes: random, stored as an HMAC-SHA256 keyed with the secret key, expiring, locking."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from ombud import config, keys
from ombud.clock import utcnow
from ombud.dsr import repository
from ombud.models.requests import VerificationCode

CODE_DIGITS = 6


def hash_code(request_id: str, code: str) -> str:
    """Keyed hash of a code, bound to its request so a hash cannot be replayed elsewhere."""
    key = keys.current(config.get_settings(), keys.REQUEST_CODES)
    return hmac.new(key, f"{request_id}:{code.strip()}".encode(), hashlib.sha256).hexdigest()


def issue(session: Session, request_id: str) -> str:
    """Replace any open code with a fresh one; return the code (never stored in clear)."""
    now = utcnow()
    repository.supersede_codes(session, request_id, at=now)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    ttl = config.get_settings().verification_code_ttl_minutes
    repository.add(
        session,
        VerificationCode(
            request_id=request_id,
            code_hash=hash_code(request_id, code),
            expires_at=now + timedelta(minutes=ttl),
            attempts=0,
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


def check(session: Session, request_id: str, code: str) -> Check:
    """Count one attempt at the open code of a request; lock it after too many."""
    now = utcnow()
    current = repository.live_code(session, request_id)
    if current is None:
        return Check(False, "no_code", "there is no open code for this request; ask for a new one")
    if current.locked_at is not None:
        return Check(
            False, "locked", "too many wrong codes: this code is locked; ask for a new one"
        )
    if current.expires_at <= now:
        return Check(False, "expired", "this code has expired; ask for a new one")
    max_attempts = config.get_settings().verification_max_attempts
    current.attempts += 1
    if hmac.compare_digest(current.code_hash, hash_code(request_id, code)):
        current.used_at = now
        session.flush()
        return Check(True)
    left = max(max_attempts - current.attempts, 0)
    if left == 0:
        current.locked_at = now
        session.flush()
        return Check(
            False, "locked", "too many wrong codes: this code is now locked; ask for a new one"
        )
    session.flush()
    return Check(False, "wrong_code", f"wrong code; {left} attempt(s) left", attempts_left=left)
