"""Public web pages shared by all domains: the home page and the brand's stylesheet."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from ombud.db import DbSession
from ombud.web.brand import page_brand
from ombud.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(session: DbSession) -> str:
    """Link to the public privacy pages."""
    return render("home.html", title="Privacy", brand=page_brand(session))


@router.get("/brand.css")
def brand_css(session: DbSession) -> Response:
    """The brand colours of the data map in force as CSS custom properties (the pages' CSP
    allows styles only from Ombud's own files, so they cannot be inline)."""
    brand = page_brand(session)
    # The pages link it as /brand.css?v=<hash>: a new map gives a new URL, so it may be cached.
    return Response(
        brand.css or "/* no data map in force */\n",
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )


routers = [router]
