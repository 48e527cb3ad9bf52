"""Domain errors and the one place they become HTTP responses (JSON for APIs, HTML for pages)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException


class OmbudError(Exception):
    """Base of every error Ombud reports to a user: a message, a status and optional detail."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadRequest(OmbudError):
    status = 400
    code = "bad_request"


class Unauthorized(OmbudError):
    status = 401
    code = "unauthorized"


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


class Unavailable(OmbudError):
    status = 503
    code = "unavailable"


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/api/", "/opendsr/", "/.well-known/")) or path == "/healthz":
        return False
    return "text/html" in request.headers.get("accept", "")


def _render(request: Request, status: int, code: str, message: str, detail: Any) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if _wants_html(request):
        from ombud.web.render import render_error_page

        return HTMLResponse(render_error_page(status, message), status_code=status)
    return JSONResponse(
        {"error": message, "code": code, "detail": detail}, status_code=status, headers=headers
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into ``{"error": ..., "detail": ...}``."""

    @app.exception_handler(OmbudError)
    async def _ombud(request: Request, exc: OmbudError) -> Response:
        return _render(request, exc.status, exc.code, exc.message, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        detail = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        first = detail[0] if detail else {"loc": [], "msg": "invalid input"}
        where = ".".join(str(p) for p in first["loc"][1:]) or "body"
        return _render(request, 422, "invalid_input", f"{where}: {first['msg']}", detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "HTTP error"
        return _render(request, exc.status_code, "http_error", message, None)
