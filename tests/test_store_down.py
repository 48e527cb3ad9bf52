"""A store that does not answer gives 503 with Retry-After (JSON for programs, a page for
browsers), never a 500, and the answer names no host, port or statement."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ombud import app as app_module
from ombud.app import create_app
from ombud.db import make_engine
from ombud.errors import STORE_RETRY_AFTER
from tests.fixtures.api import make_settings
from tests.fixtures.smtp import SmtpServer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def down(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[tuple[FastAPI, int]]:
    """The app on a PostgreSQL store nobody listens for, and that port."""
    port = _closed_port()
    url = f"postgresql://postgres@127.0.0.1:{port}/ombud"
    application = create_app(make_settings(url, tmp_path, smtp_server, execute_in_server=False))
    yield application, port
    application.state.engine.dispose()


def _check_503(response: Any, port: int) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == str(STORE_RETRY_AFTER)
    assert str(port) not in response.text and "127.0.0.1" not in response.text
    assert "SELECT" not in response.text


def test_api_calls_get_a_503_naming_no_host(down: tuple[FastAPI, int]) -> None:
    application, port = down
    with TestClient(application, raise_server_exceptions=False) as client:
        auth = {"Authorization": "Bearer ombud_not-checked-yet"}
        for method, path, body in (
            ("GET", "/healthz", None),
            ("GET", "/api/v1/requests", None),
            ("GET", "/api/v1/consent/purposes", None),
            (
                "POST",
                "/api/v1/consent/decisions",
                {"email": "p@example.com", "purpose": "newsletter", "decision": "granted"},
            ),
        ):
            response = client.request(method, path, json=body, headers=auth)
            _check_503(response, port)
            assert response.json()["code"] == "unavailable", path


def test_pages_get_a_503_page(down: tuple[FastAPI, int]) -> None:
    application, port = down
    with TestClient(application, raise_server_exceptions=False) as client:
        for path in ("/privacy/statement", "/privacy/request"):
            response = client.get(path, headers={"Accept": "text/html"})
            _check_503(response, port)
            assert response.headers["content-type"].startswith("text/html")
            assert "try again" in response.text
        german = client.get(
            "/privacy/request", headers={"Accept": "text/html", "Accept-Language": "de"}
        )
        _check_503(german, port)
        assert "Bitte versuchen Sie es in Kürze noch einmal" in german.text


def test_no_free_connection_in_time_is_a_503_too(
    committed_store_url: str,
    tmp_path: Path,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def one_connection(url: str, **kwargs: Any) -> Engine:
        limits = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0.2}
        return make_engine(url, **{**kwargs, **limits})

    monkeypatch.setattr(app_module, "make_engine", one_connection)
    settings = make_settings(committed_store_url, tmp_path, smtp_server, execute_in_server=False)
    application = create_app(settings)
    engine: Engine = application.state.engine
    try:
        with TestClient(application, raise_server_exceptions=False) as client:
            assert client.get("/healthz").status_code == 200
            with engine.connect():  # the pool's only connection, held elsewhere
                response = client.get("/healthz")
            assert response.status_code == 503
            assert response.headers["Retry-After"] == str(STORE_RETRY_AFTER)
            assert client.get("/healthz").status_code == 200  # back once it is free
    finally:
        engine.dispose()
