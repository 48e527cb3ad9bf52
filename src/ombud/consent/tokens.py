"""Signed, expiring tokens for links in emails (itsdangerous, timed by Ombud's clock)."""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ombud import config
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.errors import BadRequest, Gone

# One salt per use, so a token made for one link never opens another.
UNSUBSCRIBE = "ombud.consent.unsubscribe"
PREFERENCES = "ombud.consent.preferences"
SESSION = "ombud.consent.session"
CONFIRM = "ombud.consent.confirm"
RECEIPT = "ombud.consent.receipt"


class _ClockSigner(TimestampSigner):
    """Reads time from ``ombud.clock`` so tests can expire links."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


class InvalidLink(BadRequest):
    """A link that was forged, altered or made for something else."""

    code = "invalid_link"


class ExpiredLink(Gone):
    """A genuine link that is too old."""

    code = "expired_link"


def _serializer(salt: str, settings: Settings | None) -> URLSafeTimedSerializer:
    s = settings or config.get_settings()
    return URLSafeTimedSerializer(s.secret_key.get_secret_value(), salt=salt, signer=_ClockSigner)


def sign(salt: str, payload: dict[str, Any], settings: Settings | None = None) -> str:
    """Sign ``payload`` for the use named by ``salt``."""
    token = _serializer(salt, settings).dumps(payload)
    assert isinstance(token, str)
    return token


def load(
    salt: str, token: str, *, max_age_seconds: int, what: str, settings: Settings | None = None
) -> dict[str, Any]:
    """Verify and decode a token; ``InvalidLink`` or ``ExpiredLink`` say what went wrong."""
    try:
        data = _serializer(salt, settings).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise ExpiredLink(
            f"this {what} link has expired; open the preference center to get a new one"
        ) from None
    except BadSignature:
        raise InvalidLink(
            f"this {what} link is not valid: it was altered, cut short or made for something else"
        ) from None
    if not isinstance(data, dict):
        raise InvalidLink(f"this {what} link is not valid")
    return data
