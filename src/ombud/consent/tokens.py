"""Signed, expiring tokens for links in emails (itsdangerous, timed by Ombud's clock)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ombud import config, keys
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.errors import BadRequest, Gone, OmbudError
from ombud.i18n import Lazy, lazy

# One salt per use, so a token made for one link never opens another.
UNSUBSCRIBE = "ombud.consent.unsubscribe"
PREFERENCES = "ombud.consent.preferences"
SESSION = "ombud.consent.session"
CONFIRM = "ombud.consent.confirm"
RECEIPT = "ombud.consent.receipt"


EXPIRED = lazy("This link has expired. Open the preference center to get a new one.")
NO_LONGER_VALID = lazy("This link is no longer valid. Open the preference center to get a new one.")
ALTERED = lazy(
    "This link is not valid: it was changed, cut short or made for something else. "
    "Open the preference center to get a new one."
)


class _LinkError(OmbudError):
    """A link problem: the English message names the kind of link (logs, APIs); ``phrase``
    is what a person reads, in the page's language."""

    default: Lazy = ALTERED

    def __init__(self, message: str, *, phrase: Lazy | None = None) -> None:
        super().__init__(message)
        self.phrase = phrase or self.default


class InvalidLink(_LinkError, BadRequest):
    """A link that was forged, altered or made for something else."""

    code = "invalid_link"


class ExpiredLink(_LinkError, Gone):
    """A genuine link that is too old."""

    code = "expired_link"
    default = EXPIRED


def _serializer(salt: str, settings: Settings | None) -> URLSafeTimedSerializer:
    return keys.timed_serializer(settings or config.get_settings(), keys.CONSENT_LINKS, salt)


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
            f"this {what} link has expired; open the preference center to get a new one",
            phrase=EXPIRED,
        ) from None
    except BadSignature:
        raise InvalidLink(
            f"this {what} link is not valid: it was altered, cut short or made for something else",
            phrase=ALTERED,
        ) from None
    if not isinstance(data, dict):
        raise InvalidLink(f"this {what} link is not valid", phrase=ALTERED)
    return data


def issued_at(salt: str, token: str, settings: Settings | None = None) -> datetime:
    """When a token that ``load`` accepted was signed."""
    _data, at = _serializer(salt, settings).loads(token, return_timestamp=True)
    assert isinstance(at, datetime)
    return at


# ---------------------------------------------------------------- mailto: unsubscribe tokens
# An address's part before the @ may hold 64 octets (RFC 5321) and some mail systems change
# its case, so the mailto: token is 25 bytes in lower-case base32 (40 characters): version,
# issue time, a purpose tag and a subject-hash prefix (both only to find the candidates),
# and an HMAC over the full subject hash, purpose and time that decides.
MAIL_TOKEN_VERSION = 1
MAIL_TOKEN_CHARS = 40
_MAIL_LAYOUT = struct.Struct(">BIH8s10s")
_MAIL_TOKEN_RE = re.compile(rf"[a-z2-7]{{{MAIL_TOKEN_CHARS}}}", re.IGNORECASE)


@dataclass(frozen=True)
class MailToken:
    """A decoded mailto: unsubscribe token, not yet verified."""

    issued: int
    purpose_tag: int
    hash_prefix: str
    mac: bytes

    def matches(self, purpose: str) -> bool:
        """Whether the token's purpose tag fits ``purpose`` (several purposes may share one)."""
        return self.purpose_tag == _purpose_tag(purpose)


def _purpose_tag(purpose: str) -> int:
    return int.from_bytes(hashlib.sha256(purpose.encode()).digest()[:2], "big")


def _mail_mac(key: bytes, issued: int, purpose: str, subject_hash: str) -> bytes:
    msg = f"{UNSUBSCRIBE}.mail:{MAIL_TOKEN_VERSION}:{issued}:{purpose}:{subject_hash}".encode()
    return hmac.digest(key, msg, "sha256")[:10]


def sign_mail(subject_hash: str, purpose: str, settings: Settings | None = None) -> str:
    """A 40-character token for ``unsubscribe+TOKEN@domain``, bound to identity and purpose."""
    s = settings or config.get_settings()
    issued = int(utcnow().timestamp())
    raw = _MAIL_LAYOUT.pack(
        MAIL_TOKEN_VERSION,
        issued,
        _purpose_tag(purpose),
        bytes.fromhex(subject_hash[:16]),
        _mail_mac(keys.current(s, keys.CONSENT_MAIL_TOKENS), issued, purpose, subject_hash),
    )
    return base64.b32encode(raw).decode().lower()


def looks_like_mail_token(text: str) -> bool:
    """Whether ``text`` has the shape of a mailto: token (a word of a subject line, say)."""
    return _MAIL_TOKEN_RE.fullmatch(text) is not None


def read_mail(token: str) -> MailToken:
    """Decode a mailto: token; ``InvalidLink`` if it is not one (cut short, altered)."""
    bad = InvalidLink(
        "this unsubscribe address is not valid: it was altered, cut short or made for "
        "something else"
    )
    if not looks_like_mail_token(token):
        raise bad
    raw = base64.b32decode(token.upper())
    version, issued, tag, prefix, mac = _MAIL_LAYOUT.unpack(raw)
    if version != MAIL_TOKEN_VERSION:
        raise bad
    return MailToken(issued, tag, prefix.hex(), mac)


def verify_mail(
    token: MailToken, subject_hash: str, purpose: str, settings: Settings | None = None
) -> bool:
    """Whether ``token`` was made for this identity and purpose (time is checked apart)."""
    s = settings or config.get_settings()
    if not subject_hash.startswith(token.hash_prefix) or not token.matches(purpose):
        return False
    return any(
        hmac.compare_digest(token.mac, _mail_mac(key, token.issued, purpose, subject_hash))
        for key in keys.accepted(s, keys.CONSENT_MAIL_TOKENS)
    )


def check_mail_age(token: MailToken, settings: Settings | None = None) -> None:
    """``ExpiredLink`` when a verified token is older than the unsubscribe lifetime."""
    s = settings or config.get_settings()
    age = int(utcnow().timestamp()) - token.issued
    if age > s.unsubscribe_ttl_days * 86400:
        raise ExpiredLink(
            "this unsubscribe address has expired; use the unsubscribe link of a recent email "
            "or the preference center",
            phrase=lazy(
                "This unsubscribe address has expired. Use the unsubscribe link of a recent "
                "email or the preference center."
            ),
        )
