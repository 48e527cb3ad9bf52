"""The language of each request: ``?lang=`` first, then ``Accept-Language``, else English.

The middleware sets ``ombud.i18n.current()`` for everything the request renders (pages, error
pages, templates' ``_()``), and says which language it answered in (``Content-Language``)."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ombud import i18n


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def request_language(scope: Scope) -> str:
    """The negotiated language of an HTTP request scope."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    override = (query.get("lang") or [None])[0]
    return i18n.negotiate(_header(scope, b"accept-language"), override)


class LanguageMiddleware:
    """Sets the current language per request; adds ``Content-Language`` and ``Vary``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        language = request_language(scope)
        scope.setdefault("state", {})["language"] = language

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-language" not in names:
                    headers.append((b"content-language", language.encode()))
                vary = [v for k, v in headers if k.lower() == b"vary"]
                if not any(b"accept-language" in v.lower() for v in vary):
                    headers.append((b"vary", b"Accept-Language"))
                message["headers"] = headers
            await send(message)

        with i18n.use(language):
            await self.app(scope, receive, send_with_language)
