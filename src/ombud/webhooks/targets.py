"""Where deliveries go: endpoints from the settings and from the store, with their secrets."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.db import once_per_transaction
from ombud.errors import InvalidInput
from ombud.webhooks import repository

SETTINGS_PREFIX = "settings:"


@dataclass(frozen=True)
class Target:
    """Where a delivery goes and the secret it is signed with."""

    endpoint_id: str
    url: str
    secret: str
    events: tuple[str, ...]


def settings_targets(settings: Settings) -> list[Target]:
    """Endpoints from ``OMBUD_WEBHOOK_ENDPOINTS`` ('URL SECRET', comma-separated)."""
    out: list[Target] = []
    for item in settings.webhook_endpoints.split(","):
        parts = item.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise InvalidInput("OMBUD_WEBHOOK_ENDPOINTS: write each endpoint as 'URL SECRET'")
        url, secret = parts
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        out.append(Target(f"{SETTINGS_PREFIX}{digest}", check_url(url), secret, ()))
    return out


MEMO = "webhook_targets"


def targets(session: Session, settings: Settings) -> list[Target]:
    """Every active endpoint, from the settings and the store (read once per transaction:
    a batch completing many requests emits for each)."""
    stored: list[Target] = once_per_transaction(
        session,
        MEMO,
        lambda: [
            Target(endpoint_id, url, secret, tuple(events or ()))
            for endpoint_id, url, secret, events in repository.active_endpoints(session)
        ],
    )
    return settings_targets(settings) + stored


def check_url(url: str) -> str:
    """An http(s) URL with a host, or ``InvalidInput``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput(f"url: {url[:100]!r} is not an http:// or https:// URL")
    return url.strip()


def secret_for(session: Session, settings: Settings, endpoint_id: str | None) -> str | None:
    """The secret of an endpoint still configured, or None (removed since)."""
    if endpoint_id is None:
        return None
    if endpoint_id.startswith(SETTINGS_PREFIX):
        found = [t for t in settings_targets(settings) if t.endpoint_id == endpoint_id]
        return found[0].secret if found else None
    row = repository.endpoint(session, endpoint_id)
    return row.secret if row is not None and row.active else None
