"""/docs and /redoc use Ombud's own copies of Swagger UI and ReDoc, with no inline script."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_swagger_ui_uses_local_assets_only(client: TestClient) -> None:
    res = client.get("/docs")
    assert res.status_code == 200
    assets = _assets(res.text)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
    assert "/static/vendor/swagger-ui/swagger-ui.css" in assets
    assert "/static/docs/swagger-init.js" in assets
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert re.search(r"<script(?![^>]*src=)[^>]*>", res.text) is None
    assert "script-src 'self';" in res.headers["content-security-policy"]
    assert 'data-openapi-url="/openapi.json"' in res.text
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 100, asset


def test_redoc_uses_local_assets_only(client: TestClient) -> None:
    res = client.get("/redoc")
    assert res.status_code == 200
    assets = _assets(res.text)
    assert "/static/vendor/redoc/redoc.standalone.js" in assets
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert "fonts.googleapis" not in res.text and "cdn." not in res.text
    assert re.search(r"<script(?![^>]*src=)[^>]*>", res.text) is None
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    js = client.get("/static/vendor/redoc/redoc.standalone.js")
    assert "javascript" in js.headers["content-type"]
