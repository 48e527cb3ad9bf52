"""Refuse NUL bytes and control characters in paths, query strings and request bodies before
any endpoint sees them, so every store answers the same 422 (PostgreSQL cannot keep a NUL,
SQLite and MariaDB would).

A pure ASGI middleware: the body is checked chunk by chunk as the endpoint reads it, never
buffered a second time."""

from __future__ import annotations

import re

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A JSON escape \u0000 not itself escaped (\\u0000 is the text "\u0000"), a form's %00, a raw NUL.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_QUERY_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF])|[\x00-\x1f\x7f]")
_TAIL = 16

BODY_MESSAGE = "the request body holds a NUL character (\\u0000 or %00); remove it and send again"


class InputGuard:
    """Answer 422 for control characters in the path or query and NUL bytes in bodies."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the path and query at once, the body as it is read."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        where = _url_problem(scope)
        if where:
            response = JSONResponse(
                {
                    "error": f"the {where} holds a control character (such as NUL); "
                    "remove it and send again",
                    "code": "invalid_input",
                    "detail": None,
                },
                status_code=422,
            )
            await response(scope, receive, send)
            return
        kind = _body_kind(scope)
        if kind is None:
            await self.app(scope, receive, send)
            return
        tail = b""

        async def checked() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = tail + message.get("body", b"")
                if _has_nul(chunk, kind):
                    raise HTTPException(422, detail=BODY_MESSAGE)
                tail = chunk[-_TAIL:]
            return message

        await self.app(scope, checked, send)


def _url_problem(scope: Scope) -> str:
    if _CONTROL.search(scope.get("path", "")):
        return "URL path"
    if _QUERY_CONTROL.search(scope.get("query_string", b"")):
        return "query string"
    return ""


def _body_kind(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind = value.split(b";", 1)[0].strip().lower()
            if kind == b"application/x-www-form-urlencoded":
                return "form"
            if kind == b"application/json" or kind.endswith(b"+json"):
                return "json"
            return None
    return None


def _has_nul(chunk: bytes, kind: str) -> bool:
    # Plain substring searches first (fast on large bodies); the regex only when one hits.
    if b"\x00" in chunk:
        return True
    if kind == "form":
        return b"%00" in chunk
    return b"\\u0000" in chunk and _JSON_NUL.search(chunk) is not None
