"""Signed links to stored packages: what a person's letter and the download page carry.

A link names the export and its request, signed with the current export-link key (links made
with an older key stay valid until they expire) and stamped with Ombud's clock, so that it
expires ``export_ttl_hours`` after it was made. Nothing in it is a path: the export id is
looked up in the export folder (``package.find``)."""

from __future__ import annotations

from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ombud import keys
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.errors import Gone, NotFound

# Where a link is opened: the public download page (``execution.endpoints``).
PAGE = "/privacy/exports/"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return keys.timed_serializer(settings, keys.EXPORT_LINKS, "ombud-export")


def sign(settings: Settings, *, export_id: str, request_id: str) -> tuple[str, str]:
    """(download URL, expiry ISO time) of an export."""
    token = _serializer(settings).dumps({"e": export_id, "r": request_id})
    expires = utcnow() + timedelta(hours=settings.export_ttl_hours)
    return f"{settings.base_url.rstrip('/')}{PAGE}{token}", expires.isoformat()


def unsign(settings: Settings, token: str) -> tuple[str, str]:
    """(export id, request id) of a link; ``Gone`` once expired, ``NotFound`` if forged."""
    try:
        data = _serializer(settings).loads(token, max_age=settings.export_ttl_hours * 3600)
    except SignatureExpired:
        raise Gone("this download link has expired; ask us for a new one") from None
    except BadSignature:
        raise NotFound("no such download") from None
    return str(data["e"]), str(data["r"])
