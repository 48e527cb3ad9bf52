"""Keys derived from ``OMBUD_SECRET_KEY``: one per purpose (HKDF, RFC 5869), with rotation.

The secret key is never used as it is. Each purpose gets its own key, so a value made for one
use (a preference link, say) never verifies for another (an export link). ``OMBUD_SECRET_KEY``
signs everything new; the keys in ``OMBUD_SECRET_KEYS_OLD`` (newest first) still verify what
they signed until it expires. Keyed *lookups* that must never change (identity hashes of the
consent ledger, erasure masking) use the oldest listed key instead: see docs/security.md.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import math
import re
from collections import Counter
from functools import lru_cache
from typing import TYPE_CHECKING

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from ombud.clock import utcnow
from ombud.errors import OmbudError

if TYPE_CHECKING:  # config imports this module to check keys
    from ombud.config import Settings

MIN_KEY_BYTES = 32
# Shannon estimate of the key text: a random 32-byte key in hex or base64 is far above it.
MIN_ESTIMATED_BITS = 128
# Values published in docs and examples over the years: never a key.
PUBLIC_KEYS = frozenset({"change-me-in-production", "test-secret-key", "secret", "changeme"})
GENERATE_HINT = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"

# Derivation contexts: one per purpose; changing a string changes that key.
REQUEST_CODES = "ombud/dsr/verification-code/v1"
SEALING = "ombud/dsr/package-passphrase-seal/v1"
EXPORT_LINKS = "ombud/execution/export-link/v1"
MASKING = "ombud/execution/masking/v1"
CONSENT_LINKS = "ombud/consent/link/v1"
CONSENT_IDENTITY = "ombud/consent/identity-hash/v1"
CONSENT_CODES = "ombud/consent/access-code/v1"
CONSENT_MAIL_TOKENS = "ombud/consent/mailto-token/v1"
CSRF = "ombud/web/csrf/v1"
AUDIT_CHAIN = "ombud/audit/chain/v1"
CONSOLE_CSRF = "ombud/console/csrf/v1"
CONSOLE_TOTP = "ombud/console/totp-seal/v1"
AUDIT_CHECKPOINT = "ombud/audit/checkpoint/v1"
MANUAL_TASK_LINKS = "ombud/manual/task-link/v1"

_HEX = re.compile(r"[0-9a-fA-F]+")
_B64 = re.compile(r"[A-Za-z0-9_\-+/]+={0,2}")


class SecretKeyError(OmbudError):
    """The secret key is missing or too weak to protect links, hashes and the audit log."""

    status = 500
    code = "secret_key"


def hkdf(secret: bytes, info: bytes, length: int = 32, salt: bytes = b"") -> bytes:
    """HKDF-SHA256 (RFC 5869): extract with ``salt``, expand for ``info``."""
    prk = hmac.digest(salt or b"\0" * 32, secret, "sha256")
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), "sha256")
        out, counter = out + block, counter + 1
    return out[:length]


@lru_cache(maxsize=64)
def key_material(text: str) -> bytes:
    """The bytes a key string stands for: hex or base64 decoded when it is one, else UTF-8."""
    # Cached: every keyed hash, link and audit entry asks for the same few keys.
    text = text.strip()
    if len(text) >= MIN_KEY_BYTES and len(text) % 2 == 0 and _HEX.fullmatch(text):
        return bytes.fromhex(text)
    if _B64.fullmatch(text):
        padded = text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4)
        try:
            decoded = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            decoded = b""
        if len(decoded) >= MIN_KEY_BYTES:
            return decoded
    return text.encode()


def _estimated_bits(text: str) -> float:
    counts = Counter(text)
    per_char = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    return per_char * len(text)


def weakness(text: str) -> str | None:
    """Why ``text`` is not a usable secret key, or None when it is."""
    text = text.strip()
    if text.lower() in PUBLIC_KEYS:
        return "it is a published example value"
    if len(key_material(text)) < MIN_KEY_BYTES:
        return f"it holds fewer than {MIN_KEY_BYTES} bytes"
    if _estimated_bits(text) < MIN_ESTIMATED_BITS or len(set(text)) < 12:
        return "it is not random (repeated or patterned characters)"
    return None


def secrets_of(settings: Settings) -> list[bytes]:
    """The key material of the current key, then of the old keys (newest first)."""
    if settings.secret_key is None or not settings.secret_key.get_secret_value().strip():
        raise SecretKeyError(f"OMBUD_SECRET_KEY is not set; {GENERATE_HINT}")
    texts = [settings.secret_key.get_secret_value(), *settings.old_secret_keys()]
    return [key_material(t) for t in texts]


def require(settings: Settings) -> None:
    """``SecretKeyError`` naming OMBUD_SECRET_KEY unless it is set and strong."""
    secrets_of(settings)
    assert settings.secret_key is not None
    problem = weakness(settings.secret_key.get_secret_value())
    if problem:
        raise SecretKeyError(
            f"OMBUD_SECRET_KEY is too weak: {problem}; it needs at least {MIN_KEY_BYTES} random "
            f"bytes; {GENERATE_HINT}"
        )


@lru_cache(maxsize=256)
def _derive(secret: bytes, context: str) -> bytes:
    return hkdf(secret, context.encode())


def current(settings: Settings, context: str) -> bytes:
    """The key for ``context`` that signs and hashes everything new."""
    return _derive(secrets_of(settings)[0], context)


def accepted(settings: Settings, context: str) -> list[bytes]:
    """Keys for ``context`` that verify: the current one first, then the old ones."""
    return [_derive(s, context) for s in secrets_of(settings)]


def stable(settings: Settings, context: str) -> bytes:
    """The key for lookups that must survive rotation: derived from the oldest listed key."""
    return _derive(secrets_of(settings)[-1], context)


def signer_keys(settings: Settings, context: str) -> list[bytes]:
    """Keys as itsdangerous wants them: oldest first, it signs with the last."""
    return accepted(settings, context)[::-1]


def mac(key: bytes, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` as hex."""
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class _ClockSigner(TimestampSigner):
    """Timestamps from ``ombud.clock``, so expiry follows it (tests move it past expiry)."""

    def get_timestamp(self) -> int:
        return int(utcnow().timestamp())


def timed_serializer(settings: Settings, context: str, salt: str) -> URLSafeTimedSerializer:
    """Signed, expiring tokens for links of ``context`` (one ``salt`` per use), timed by
    Ombud's clock; signed with the current key, those of older keys valid until they expire."""
    return URLSafeTimedSerializer(signer_keys(settings, context), salt=salt, signer=_ClockSigner)
