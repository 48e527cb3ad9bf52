"""Public intake is rate-limited per IP and per identity, in process or shared through Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.config import Settings
from ombud.db import get_session
from ombud.dsr.ratelimit import RedisLimiter
from ombud.models.datamap import DataMapVersion
from tests.fixtures.smtp import SmtpServer


def test_identity_limit(
    app: FastAPI, datamap: DataMapVersion, smtp_server: SmtpServer, settings: Settings
) -> None:
    settings.rate_limit_per_identity = 2
    with TestClient(app) as client:
        for _ in range(2):
            res = client.post(
                "/api/v1/requests", json={"type": "access", "email": "r@example.test"}
            )
            assert res.status_code == 201
        res = client.post("/api/v1/requests", json={"type": "access", "email": "R@example.test"})
        assert res.status_code == 429 and "this identity" in res.json()["error"]
        other = client.post("/api/v1/requests", json={"type": "access", "email": "s@example.test"})
        assert other.status_code == 201


def _app(settings: Settings, db_session: Session) -> FastAPI:
    application = create_app(settings)

    def _session() -> Iterator[Session]:
        yield db_session
        db_session.commit()

    application.dependency_overrides[get_session] = _session
    return application


def test_redis_limit_is_shared_by_workers(
    settings: Settings,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    settings.redis_url = redis_url
    settings.rate_limit_per_ip = 3
    first, second = _app(settings, db_session), _app(settings, db_session)
    try:
        with TestClient(first) as a, TestClient(second) as b:
            body = {"type": "access", "email": "w1@example.test"}
            assert a.post("/api/v1/requests", json=body).status_code == 201
            assert (
                b.post("/api/v1/requests", json={**body, "email": "w2@example.test"}).status_code
                == 201
            )
            assert (
                a.post("/api/v1/requests", json={**body, "email": "w3@example.test"}).status_code
                == 201
            )
            res = b.post("/api/v1/requests", json={**body, "email": "w4@example.test"})
            assert res.status_code == 429 and "from your address" in res.json()["error"]
            assert isinstance(first.state.dsr_limiter, RedisLimiter)
    finally:
        for application in (first, second):
            limiter = getattr(application.state, "dsr_limiter", None)
            if isinstance(limiter, RedisLimiter):
                limiter.close()
