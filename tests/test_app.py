"""The server answers health checks, serves OpenAPI and renders errors one way."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz_reports_store(client: TestClient) -> None:
    res = client.get("/healthz")
    assert res.status_code == 200
    assert res.json()["status"] == "ok"


def test_openapi_lists_api(client: TestClient) -> None:
    res = client.get("/openapi.json")
    assert res.status_code == 200
    assert "/api/v1/me" in res.json()["paths"]
    assert client.get("/docs").status_code == 200


def test_unknown_path_is_json_error(client: TestClient) -> None:
    res = client.get("/api/v1/nothing-here")
    assert res.status_code == 404
    assert set(res.json()) >= {"error", "detail"}


def test_unknown_page_is_html_error(client: TestClient) -> None:
    res = client.get("/nothing-here", headers={"Accept": "text/html"})
    assert res.status_code == 404
    assert "text/html" in res.headers["content-type"]
    assert "Error 404" in res.text
