"""CSRF tokens of console forms: an HMAC of the session's (or the sign-in page's) secret."""

from __future__ import annotations

import hmac

from ombud import keys
from ombud.config import Settings
from ombud.errors import Forbidden

FIELD = "csrf_token"
HEADER = "x-csrf-token"


def token(settings: Settings, seed: str, key: bytes | None = None) -> str:
    """The token every form of the holder of ``seed`` must send back."""
    key = key or keys.current(settings, keys.CONSOLE_CSRF)
    return hmac.digest(key, f"console-csrf:{seed}".encode(), "sha256").hex()


def check(settings: Settings, seed: str, sent: str | None) -> None:
    """``Forbidden`` unless ``sent`` is the token of ``seed`` (under any accepted key)."""
    if sent and any(
        hmac.compare_digest(sent, token(settings, seed, key))
        for key in keys.accepted(settings, keys.CONSOLE_CSRF)
    ):
        return
    raise Forbidden(
        "this form has no valid security token (it is stale or came from another site); "
        "reload the page and send it again"
    )
