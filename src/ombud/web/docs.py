"""``/docs`` (Swagger UI) and ``/redoc`` served with Ombud's own copies of their assets:
they work offline, load nothing from a CDN, and run no inline script."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import HTMLResponse

from ombud.web.headers import DOCS_CSP
from ombud.web.render import render

VENDOR = "/static/vendor"
router = APIRouter(include_in_schema=False)


def _openapi_url(request: Request) -> str:
    return str(request.app.openapi_url or "/openapi.json")


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI for the API."""
    html = render(
        "docs/swagger.html", title=f"{request.app.title} API", openapi_url=_openapi_url(request)
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_CSP})


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc for the API."""
    response = get_redoc_html(
        openapi_url=_openapi_url(request),
        title=f"{request.app.title} API",
        redoc_js_url=f"{VENDOR}/redoc/redoc.standalone.js",
        redoc_favicon_url="/static/favicon.svg",
        with_google_fonts=False,
    )
    response.headers["Content-Security-Policy"] = DOCS_CSP
    return response


routers = [router]
