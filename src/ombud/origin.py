"""Public forms refuse posts from other sites (``Origin`` / ``Sec-Fetch-Site``): the configured
base URL decides what counts as the same origin."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Depends, Request

from ombud.config import Settings
from ombud.errors import Forbidden

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# "none": the person typed the address or used a bookmark; never another site.
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, lower-cased, default ports left out."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(scheme)
    try:
        port = parts.port
    except ValueError:
        return ""
    return f"{scheme}://{host}" + (f":{port}" if port and port != default else "")


def check_same_origin(request: Request, settings: Settings) -> None:
    """Raise ``Forbidden`` for a browser post that comes from another site.

    A post with neither header (curl, a mail server's one-click unsubscribe) is allowed:
    cross-site forgery needs a browser, and browsers send at least one of them."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    # Browsers send "Origin: null" for a form posted from a page whose Referrer-Policy is
    # no-referrer (as all of Ombud's are); Sec-Fetch-Site still tells where it came from.
    if origin == "null" and site is not None and site.lower() == "same-origin":
        return
    if origin is not None:
        if origin_of(origin) == origin_of(settings.base_url) and origin != "null":
            return
        raise Forbidden(
            f"this form was sent from another site ({origin[:100]}); forms of "
            f"{origin_of(settings.base_url)} are accepted only from its own pages: "
            "open the page there and send it again"
        )
    if site is not None and site.lower() not in ALLOWED_FETCH_SITES:
        raise Forbidden(
            f"this form was sent from another site (Sec-Fetch-Site: {site[:40]}); open the "
            f"page on {origin_of(settings.base_url)} and send it again"
        )


async def _same_origin(request: Request) -> None:
    check_same_origin(request, request.app.state.settings)


SameOrigin = Depends(_same_origin)
