"""The language of each request: ``?lang=`` first, then ``Accept-Language``, else English.

The middleware sets ``ombud.i18n.current()`` for everything the request renders (pages, error
pages, templates' ``_()``), and says which language it answered in (``Content-Language``)."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ombud import i18n
from ombud.consent.cookies import LANGUAGE as LANGUAGE_COOKIE


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _chosen(scope: Scope) -> str | None:
    """The language the visitor picked with the switcher (``ombud_lang`` cookie), if any."""
    cookie = SimpleCookie()
    try:
        cookie.load(_header(scope, b"cookie") or "")
    except CookieError:
        return None
    morsel = cookie.get(LANGUAGE_COOKIE.name)
    return i18n.normalise(morsel.value) if morsel is not None else None


def _override(scope: Scope) -> str | None:
    raw: bytes = scope.get("query_string", b"")
    if not raw:  # most API calls: parsing nothing is not free on every request
        return None
    values = parse_qs(raw.decode("latin-1")).get("lang")
    return i18n.normalise(values[0]) if values else None


def request_language(scope: Scope) -> str:
    """The negotiated language of an HTTP request scope: ``?lang=``, then the language the
    visitor chose before, then ``Accept-Language``."""
    override = _override(scope) or _chosen(scope)
    return i18n.negotiate(_header(scope, b"accept-language"), override)


def _remember(language: str, secure: bool) -> bytes:
    """Set-Cookie that keeps a language chosen with ``?lang=`` for the next pages."""
    attributes = f"Max-Age={LANGUAGE_COOKIE.max_age_seconds}; Path=/; SameSite=Lax; HttpOnly"
    return f"{LANGUAGE_COOKIE.name}={language}; {attributes}{'; Secure' if secure else ''}".encode()


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
        # A language picked with the switcher (?lang=) is kept for the following pages.
        remember = _override(scope) is not None and _chosen(scope) != language
        secure = scope.get("scheme") == "https"

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-language" not in names:
                    headers.append((b"content-language", language.encode()))
                vary = [v for k, v in headers if k.lower() == b"vary"]
                if not any(b"accept-language" in v.lower() for v in vary):
                    headers.append((b"vary", b"Accept-Language"))
                if remember:
                    headers.append((b"set-cookie", _remember(language, secure)))
                message["headers"] = headers
            await send(message)

        with i18n.use(language):
            await self.app(scope, receive, send_with_language)
