"""Domain errors and the one place they become HTTP responses (JSON for APIs, HTML for pages)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ombud.i18n import Lazy, lazy

log = logging.getLogger(__name__)


class OmbudError(Exception):
    """Base of every error Ombud reports to a user: a message, a status and optional detail."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str | Lazy, *, detail: Any = None) -> None:
        # ``message`` stays English (logs, JSON APIs); a ``Lazy`` one is also said in the
        # language of the page that shows it (``said``).
        english = message.english() if isinstance(message, Lazy) else message
        super().__init__(english)
        self.message = english
        self.phrase = message if isinstance(message, Lazy) else None
        self.detail = detail

    def said(self) -> str:
        """The message in the current language (English when it has no catalog id)."""
        return str(self.phrase) if self.phrase is not None else self.message


class BadRequest(OmbudError):
    status = 400
    code = "bad_request"


class Unauthorized(OmbudError):
    status = 401
    code = "unauthorized"


class SeeOther(OmbudError):
    """Not an error for a browser: go to ``location`` (the staff console's sign-in page)."""

    status = 401
    code = "sign_in_required"

    def __init__(self, message: str | Lazy, *, location: str) -> None:
        super().__init__(message)
        self.location = location


class Forbidden(OmbudError):
    status = 403
    code = "forbidden"


class NotFound(OmbudError):
    status = 404
    code = "not_found"


class Conflict(OmbudError):
    status = 409
    code = "conflict"


class Gone(OmbudError):
    status = 410
    code = "gone"


class InvalidInput(OmbudError):
    status = 422
    code = "invalid_input"


class RateLimited(OmbudError):
    status = 429
    code = "rate_limited"

    def __init__(
        self, message: str | Lazy, *, detail: Any = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class Unavailable(OmbudError):
    status = 503
    code = "unavailable"


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/opendsr/", "/.well-known/")) or path == "/healthz":
        return False
    return "text/html" in request.headers.get("accept", "")


def _render(
    request: Request,
    status: int,
    code: str,
    message: str,
    detail: Any,
    headers: Mapping[str, str] | None = None,
    said: str | None = None,
) -> Response:
    """JSON for programs (English ``message``); a page for browsers, in their language
    (``said``, else ``message``)."""
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if _wants_html(request):
        from ombud.web.render import render_error_page

        page = render_error_page(status, said if said is not None else message)
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse(
        {"error": message, "code": code, "detail": detail}, status_code=status, headers=headers
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> list[str]:
    from starlette.routing import Match

    allowed: list[str] = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.routes):
            allowed.append(method)
    return allowed


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into ``{"error": ..., "detail": ...}``."""

    @app.exception_handler(OmbudError)
    async def _ombud(request: Request, exc: OmbudError) -> Response:
        headers = None
        if isinstance(exc, SeeOther):
            if request.headers.get("hx-request"):
                # htmx follows a 303 inside the page; this makes it load the whole page.
                return Response(status_code=204, headers={"HX-Redirect": exc.location})
            if request.method in ("GET", "HEAD") or _wants_html(request):
                return RedirectResponse(exc.location, status_code=303)
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            headers = {"Retry-After": str(exc.retry_after)}
        return _render(request, exc.status, exc.code, exc.message, exc.detail, headers, exc.said())

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        detail = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = detail[0] if detail else {"loc": [], "msg": "invalid input"}
        where = ".".join(str(p) for p in first["loc"][1:]) or "body"
        said = str(lazy("Part of the address or form is not valid: {where}.", where=where))
        return _render(request, 422, "invalid_input", f"{where}: {first['msg']}", detail, said=said)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "HTTP error"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names the methods of the first route that matched the path only.
            headers["Allow"] = ", ".join(_allowed_methods(request)) or headers.get("Allow", "")
        said = _HTTP_SAID.get(exc.status_code)
        return _render(
            request,
            exc.status_code,
            "http_error",
            message,
            None,
            headers,
            str(said) if said and message in _STANDARD_DETAILS else None,
        )

    install_data_error_handlers(app)
    install_store_down_handlers(app)


# Pages get a sentence in the reader's language for Starlette's own errors ("Not Found").
_HTTP_SAID = {
    400: lazy("The request could not be read."),
    404: lazy("There is no page at this address."),
    405: lazy("This page cannot be used this way."),
    413: lazy("What was sent is too large."),
}
_STANDARD_DETAILS = {
    "Bad Request",
    "Not Found",
    "Method Not Allowed",
    "Request Entity Too Large",
    "Content Too Large",
    "HTTP error",
}

_STORE_REFUSED = (
    "a value cannot be stored: a number beyond 64 bits, a NUL byte, a character the store "
    "cannot keep or a value too long for its field; check the input and send it again"
)


def install_data_error_handlers(app: FastAPI) -> None:
    """Turn values the store refuses (``DataError``, ``OverflowError``) into a 422, not a 500.

    Validation catches most bad input first; this is the net for what only the database sees.
    The statement and its parameters are never echoed: they may hold personal data."""
    import sqlalchemy.exc

    data_errors: list[type[Exception]] = [sqlalchemy.exc.DataError, OverflowError]
    try:
        import psycopg

        data_errors.append(psycopg.DataError)
    except ImportError:  # pragma: no cover - psycopg is a dependency
        pass
    try:
        import pymysql

        data_errors.append(pymysql.err.DataError)
    except ImportError:  # pragma: no cover - PyMySQL is a dependency
        pass

    async def _data(request: Request, exc: Exception) -> Response:
        return _render(request, 422, "invalid_value", _STORE_REFUSED, None)

    async def _statement(request: Request, exc: Exception) -> Response:
        # SQLAlchemy wraps errors raised while binding parameters (e.g. OverflowError).
        orig = getattr(exc, "orig", None)
        if isinstance(orig, tuple(data_errors)):
            return _render(request, 422, "invalid_value", _STORE_REFUSED, None)
        raise exc

    for kind in data_errors:
        app.add_exception_handler(kind, _data)
    app.add_exception_handler(sqlalchemy.exc.StatementError, _statement)


_STORE_DOWN = "the store is not answering (restarting, or every connection busy); try again"
_STORE_DOWN_SAID = lazy("Our records cannot be reached at the moment. Please try again shortly.")
# Seconds a client is asked to wait before trying again while the store is down.
STORE_RETRY_AFTER = 5


def install_store_down_handlers(app: FastAPI) -> None:
    """A store that cannot be reached (down, restarting, a lost connection, no free
    connection in time) is a 503 with ``Retry-After``, which clients and load balancers retry,
    not a 500. What failed goes to the log; the answer names no host, port or statement."""
    import sqlalchemy.exc

    async def _down(request: Request, exc: Exception) -> Response:
        log.warning("the store is unavailable: %s", str(exc).splitlines()[0][:300])
        headers = {"Retry-After": str(STORE_RETRY_AFTER)}
        said = str(_STORE_DOWN_SAID)
        return _render(request, 503, "unavailable", _STORE_DOWN, None, headers, said)

    for kind in (
        sqlalchemy.exc.OperationalError,
        sqlalchemy.exc.InterfaceError,
        sqlalchemy.exc.TimeoutError,
    ):
        app.add_exception_handler(kind, _down)


class ErrorBody(BaseModel):
    """What every error answer holds (JSON APIs)."""

    error: str = Field(description="what went wrong and where, for a person to read")
    code: str = Field(description="stable word for programs, e.g. not_found, rate_limited")
    detail: Any = Field(default=None, description="per-field problems of invalid input, or null")


_DESCRIPTIONS = {
    400: "The body could not be read (malformed JSON or form)",
    401: "No valid API token (send `Authorization: Bearer <token>`)",
    403: "The token's role may not do this, or a form was posted from another site",
    404: "No such resource",
    409: "The resource is not in a state that allows this",
    410: "The link or code has expired",
    422: "Invalid input; `detail` lists the fields",
    429: "Too many requests; `Retry-After` says when to try again",
}


def error_response(status: int) -> dict[str, Any]:
    """The OpenAPI answer of an error status, with the real error body."""
    # The schema is inline: routes are documented after they were built, when a "model" here
    # would no longer be turned into a schema.
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ErrorBody.model_json_schema()}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
        }
    return response


def _needs_token(dependant: Any) -> bool:
    from fastapi.security.base import SecurityBase

    stack = [dependant]
    while stack:
        current = stack.pop()
        if isinstance(current.call, SecurityBase):
            return True
        stack.extend(current.dependencies)
    return False


def document_errors(router: APIRouter) -> None:
    """Add the error answers each operation can give to the OpenAPI (with the real body).

    Decided per route: every route may refuse input (400, 422) or name something that does
    not exist (404); routes behind a token add 401 and 403, public ones 429; routes with an id
    in the path 410; writes 409."""
    from fastapi.routing import APIRoute

    for route in router.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        statuses = {400, 404, 422}
        staff = _needs_token(route.dependant)
        statuses |= {401, 403} if staff else {429}
        if "{" in route.path:
            statuses.add(410)
        if (route.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}:
            statuses.add(409)
        for status in sorted(statuses):
            route.responses.setdefault(status, error_response(status))
