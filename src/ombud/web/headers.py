"""Security headers on every response: CSP, nosniff, no referrer, no caching, HSTS, and a
``Location`` that never comes from the request's ``Host`` header."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ombud.config import Settings

# No inline script, no plugins, no <base>; forms post only to Ombud. Styles come from files.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors {ancestors}"
)
# Swagger UI and ReDoc (served from /static/vendor) set styles from script and ReDoc runs a
# worker from a blob: URL; scripts still come from Ombud only.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
STATE_KEY = "ombud_frame_ancestors"


async def embeddable(request: Request) -> None:
    """Route dependency: this page may be framed by the origins in ``OMBUD_EMBED_ORIGINS``."""
    settings: Settings = request.app.state.settings
    request.state.ombud_frame_ancestors = settings.embed_origins or "'none'"


Embeddable = Depends(embeddable)


def _header_names(headers: Iterable[tuple[bytes, bytes]]) -> set[bytes]:
    return {name.lower() for name, _ in headers}


class SecurityHeadersMiddleware:
    """Pure ASGI middleware (no extra task per request) that adds the headers a response lacks."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        base = urlsplit(settings.base_url)
        self.base_scheme, self.base_netloc = base.scheme, base.netloc
        self.https_base = base.scheme == "https"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith("/static/")
        https = self.https_base or scope.get("scheme") == "https"
        host = _host_header(scope)

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = _header_names(headers)
                ancestors = scope.get("state", {}).get(STATE_KEY, "'none'")
                extra: list[tuple[bytes, bytes]] = [
                    (b"content-security-policy", CSP.format(ancestors=ancestors).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if ancestors == "'none'":
                    extra.append((b"x-frame-options", b"DENY"))
                if not static:
                    # Pages, API answers and downloads may hold personal data or tokens.
                    extra.append((b"cache-control", b"no-store"))
                if https:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = [self._location(k, v, host) for k, v in headers]
            await send(message)

        await self.app(scope, receive, wrapped)

    def _location(self, name: bytes, value: bytes, host: str | None) -> tuple[bytes, bytes]:
        """An absolute ``Location`` built from the request's Host points at the base URL."""
        if name.lower() != b"location" or host is None:
            return name, value
        parts = urlsplit(value.decode("latin-1"))
        if not parts.netloc or parts.netloc.lower() != host.lower():
            return name, value
        if parts.netloc.lower() == self.base_netloc.lower():
            return name, value
        fixed = urlunsplit(
            (self.base_scheme, self.base_netloc, parts.path, parts.query, parts.fragment)
        )
        return name, fixed.encode("latin-1")


def _host_header(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"host":
            return bytes(value).decode("latin-1")
    return None
