"""Jinja2 rendering for server-side pages and emails; templates live in ``web/templates``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATE_DIR = Path(__file__).parent / "templates"


@lru_cache
def environment() -> Environment:
    """Return the shared Jinja2 environment (autoescaped HTML, plain text for ``.txt``)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: str, **context: Any) -> str:
    """Render one template with ``context`` (pages without a ``brand`` get a neutral one)."""
    if "brand" not in context:
        from ombud.web.brand import NEUTRAL, PageBrand

        name = context.get("org_name")
        context["brand"] = PageBrand(name=name) if name else NEUTRAL
    return environment().get_template(template).render(**context)


def render_error_page(status: int, message: str) -> str:
    """Render the page shown for an error in a browser."""
    return render("error.html", title=f"Error {status}", status=status, message=message)
