"""OpenDSR 2.0 status callbacks: the request's status body POSTed to each callback URL the
caller gave, signed with the processor's RSA key: ``X-OpenDSR-Signature`` is the base64
RSA-SHA256 (PKCS #1 v1.5) signature of the raw body, ``X-OpenDSR-Processor-Domain`` the
domain whose certificate (published at discovery's ``processor_certificate``) verifies it."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ombud.config import Settings
from ombud.errors import OmbudError

SIGNATURE = "X-OpenDSR-Signature"
DOMAIN = "X-OpenDSR-Processor-Domain"


class SigningKeyError(OmbudError):
    """The OpenDSR signing key cannot be read."""

    status = 500
    code = "opendsr_key"


def enabled(settings: Settings) -> bool:
    """Whether callbacks are signed and sent (a signing key is configured)."""
    return settings.opendsr_signing_key is not None


@lru_cache(maxsize=4)
def _key(path: Path, mtime: float) -> rsa.RSAPrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"OMBUD_OPENDSR_SIGNING_KEY {path}: cannot read it: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SigningKeyError(f"OMBUD_OPENDSR_SIGNING_KEY {path}: not an RSA private key")
    return key


def sign(settings: Settings, body: bytes) -> str:
    """The base64 RSA-SHA256 signature of ``body``."""
    path = settings.opendsr_signing_key
    if path is None:
        raise SigningKeyError("OMBUD_OPENDSR_SIGNING_KEY is not set; callbacks cannot be signed")
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise SigningKeyError(f"OMBUD_OPENDSR_SIGNING_KEY {path}: {exc}") from None
    signed = _key(path, mtime).sign(body, padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signed).decode()


def processor_domain(settings: Settings) -> str:
    """This processor's domain: the host of the base URL."""
    return urlsplit(settings.base_url).hostname or ""


def signed_headers(settings: Settings, body: bytes) -> dict[str, str]:
    """The two OpenDSR headers of a callback."""
    return {SIGNATURE: sign(settings, body), DOMAIN: processor_domain(settings)}
