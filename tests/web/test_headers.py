"""Security headers on pages, API answers and downloads; Location never from the Host header."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.execution import downloads, export_links, package
from ombud.models.requests import PrivacyRequest
from tests.fixtures.api import Clock, auth


def _common(res: httpx.Response) -> dict[str, str]:
    headers = dict(res.headers)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    return headers


def test_public_page_has_csp_and_refuses_frames(client: TestClient) -> None:
    res = client.get("/privacy/request")
    assert res.status_code == 200
    headers = _common(res)
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in headers  # plain http, http base URL


def test_api_answer_is_not_cached(client: TestClient, tokens: dict[str, str]) -> None:
    res = client.get("/api/v1/requests", headers=auth(tokens["viewer"]))
    assert res.status_code == 200
    assert _common(res)["cache-control"] == "no-store"
    # Errors too: the 401 of a missing token.
    assert _common(client.get("/api/v1/requests"))["cache-control"] == "no-store"


def test_download_is_not_cached(
    client: TestClient, settings: Settings, db_session: Session, frozen_clock: Clock
) -> None:
    now = utcnow()
    request = PrivacyRequest(
        type="access",
        status="completed",
        jurisdiction="gdpr",
        email="kim@example.test",
        identities={"email": "kim@example.test"},
        received_at=now,
        received_on=now.date(),
    )
    db_session.add(request)
    db_session.flush()
    export = package.store(settings, downloads.new_export_id(request.id), b"PK fake zip")
    request.result = {
        "export_id": export.id,
        "download_expires_at": downloads.expires_at(settings).isoformat(),
    }
    db_session.commit()
    url, _ = export_links.sign(settings, export_id=export.id, request_id=request.id)
    res = client.get(url.removeprefix(settings.base_url))
    assert res.status_code == 200, res.text
    headers = _common(res)
    assert headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_static_files_may_be_cached(client: TestClient) -> None:
    res = client.get("/static/ombud.css")
    assert res.status_code == 200
    assert "cache-control" not in res.headers
    assert _common(res)


def test_hsts_over_https(client: TestClient) -> None:
    res = client.get("https://testserver/privacy/request")
    assert res.headers["strict-transport-security"].startswith("max-age=31536000")


def test_hsts_when_base_url_is_https(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    https = settings.model_copy(update={"base_url": "https://privacy.example.test"})
    monkeypatch.setattr("ombud.config.get_settings", lambda: https)
    with TestClient(create_app(https)) as c:
        res = c.get("/static/ombud.css")  # behind a TLS proxy the request itself is http
    assert "max-age=" in res.headers["strict-transport-security"]


def test_statement_is_embeddable_only_by_configured_origins(
    app: FastAPI, client: TestClient, settings: Settings
) -> None:
    res = client.get("/privacy/statement")
    assert "frame-ancestors 'none'" in res.headers["content-security-policy"]
    app.state.settings = settings.model_copy(update={"embed_origins": "https://www.example.test"})
    res = client.get("/privacy/statement")
    assert "frame-ancestors https://www.example.test" in res.headers["content-security-policy"]
    assert "x-frame-options" not in res.headers
    # Other pages still refuse frames.
    res = client.get("/privacy/request")
    assert "frame-ancestors 'none'" in res.headers["content-security-policy"]


def test_redirect_never_uses_forged_host(client: TestClient) -> None:
    # A trailing slash makes the router redirect; Starlette builds that URL from Host.
    res = client.get("/api/v1/requests/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert res.status_code in (307, 308)
    location = res.headers["location"]
    assert "evil.example" not in location
    assert location.startswith("http://testserver/api/v1/requests")


TEMPLATES = Path(__file__).parents[2] / "src" / "ombud" / "web" / "templates"


def test_no_inline_script_in_templates() -> None:
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)
    offenders = [
        str(p.relative_to(TEMPLATES))
        for p in TEMPLATES.rglob("*.html")
        if inline.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_verify_page_reads_the_code_from_the_fragment(client: TestClient) -> None:
    script = client.get("/static/dsr/verify.js")
    assert script.status_code == 200 and "location.hash" in script.text
    assert "javascript" in script.headers["content-type"]
