"""Public web pages shared by all domains (home page)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ombud.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home() -> str:
    """Link to the public privacy pages."""
    return render("home.html", title="Privacy")


routers = [router]
