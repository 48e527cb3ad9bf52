"""The banner's script and style sheet: within the 8 KB gzipped budget, served with the
headers a cross-origin tag needs, and free of what a strict CSP forbids."""

from __future__ import annotations

import gzip
import re

from fastapi.testclient import TestClient

from ombud.consent.banner_endpoints import STATIC

BUDGET = 8 * 1024


def test_js_and_css_fit_the_gzipped_budget() -> None:
    sizes = {
        name: len(gzip.compress((STATIC / name).read_bytes(), compresslevel=9))
        for name in ("consent.js", "consent.css")
    }
    assert sum(sizes.values()) <= BUDGET, sizes


def test_no_eval_inline_styles_or_third_party_requests() -> None:
    js = (STATIC / "consent.js").read_text(encoding="utf-8")
    for forbidden in (
        r"\beval\(",
        r"new Function",
        r"setTimeout\(['\"]",
        r"\.innerHTML",
        r"'style'",
    ):
        assert not re.search(forbidden, js), forbidden
    # Every URL it requests is built from the origin the script itself came from.
    assert not re.search(r"https?://", js.split("*/", 1)[1])
    css = (STATIC / "consent.css").read_text(encoding="utf-8")
    assert "@import" not in css and "url(" not in css
    assert "prefers-reduced-motion" in css


def test_assets_are_served_for_any_site(client: TestClient) -> None:
    for path, ctype in (
        ("/privacy/consent.js", "text/javascript"),
        ("/privacy/consent.css", "text/css"),
    ):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith(ctype)
        assert r.headers["access-control-allow-origin"] == "*"
        assert r.headers["cross-origin-resource-policy"] == "cross-origin"
        assert r.content == (STATIC / path.rsplit("/", 1)[1]).read_bytes()
