"""One limiter for every public form and API that sends mail or checks a code: per IP, per
address and per target, in process or shared through Redis; staff see the 429s in metrics."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.db import get_session
from ombud.models.datamap import DataMapVersion
from ombud.ratelimit import MemoryLimiter, RedisLimiter
from tests.consent.conftest import DATAMAP_FILE as CONSENT_MAP
from tests.dsr.conftest import DATAMAP_FILE as DSR_MAP
from tests.dsr.conftest import store_datamap
from tests.fixtures.api import Clock, auth
from tests.fixtures.services import REDIS_URL, unavailable
from tests.fixtures.smtp import SmtpServer


@pytest.fixture
def datamap(db_session: Session) -> DataMapVersion:
    """The request-form test data map, committed inside the test's rollback."""
    version = store_datamap(db_session, yaml.safe_load(DSR_MAP.read_text(encoding="utf-8")))
    db_session.commit()
    return version


@pytest.fixture
def consent_map(db_session: Session, settings: Settings) -> DataMapVersion:
    """The consent test data map (with subscriptions), applied and committed."""
    version, _ = datamap_service.apply_map(
        db_session, datamap=load_datamap(CONSENT_MAP), files={}, author="test"
    )
    db_session.commit()
    return version


@pytest.fixture
def redis_prefix() -> Iterator[tuple[str, str]]:
    """(Redis URL, a key prefix unique to this test); only keys under the prefix are removed."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as exc:
        unavailable("Redis at " + REDIS_URL, exc)
    prefix = f"ombud-test-{uuid.uuid4().hex}:"
    yield REDIS_URL, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


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
        assert res.status_code == 429 and "for this email address" in res.json()["error"]
        assert 0 < int(res.headers["Retry-After"]) <= 3600
        assert "try again in" in res.json()["error"]
        other = client.post("/api/v1/requests", json={"type": "access", "email": "s@example.test"})
        assert other.status_code == 201


def test_form_keeps_what_was_typed_and_says_when(
    client: TestClient,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    settings.rate_limit_per_ip = 1
    form = {
        "type": "access",
        "email": "typed@example.test",
        "details": "my orders of 2024",
        "country": "other",
    }
    assert client.post("/privacy/request", data=form, follow_redirects=False).status_code == 303
    page = client.post("/privacy/request", data={**form, "email": "other@example.test"})
    assert page.status_code == 429
    # 09:00 frozen: the hourly window ends in 60 minutes.
    assert page.headers["Retry-After"] == "3600"
    assert "try again in 60 minutes" in page.text
    assert 'value="other@example.test"' in page.text and "my orders of 2024" in page.text
    assert len(smtp_server.mailbox.to("other@example.test")) == 0


def test_address_budget_is_shared_by_every_form(
    client: TestClient,
    datamap: DataMapVersion,
    consent_map: DataMapVersion,
    smtp_server: SmtpServer,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    settings.rate_limit_per_identity = 2
    email = "victim@example.com"
    assert client.post("/api/v1/requests", json={"type": "access", "email": email}).status_code
    assert client.post("/privacy/preferences/code", data={"email": email}).status_code == 200
    # A third mail to the same address, through yet another form, is refused.
    page = client.post("/privacy/subscribe", data={"email": email, "purpose": "product_alerts"})
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert f'value="{email}"' in page.text and "Too many requests" in page.text
    code = client.post("/privacy/preferences/code", data={"email": email})
    assert code.status_code == 429 and f'value="{email}"' in code.text
    assert len(smtp_server.mailbox.to(email)) == 2


def test_code_checks_are_limited_per_request(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, settings: Settings
) -> None:
    settings.rate_limit_per_target = 3
    rid = client.post(
        "/api/v1/requests", json={"type": "access", "email": "t@example.test"}
    ).json()["id"]
    assert client.post(f"/api/v1/requests/{rid}/resend").status_code == 202
    for _ in range(2):
        client.post(f"/api/v1/requests/{rid}/verify", json={"code": "999999"})
    res = client.post(f"/api/v1/requests/{rid}/verify", json={"code": "999999"})
    assert res.status_code == 429 and "for this request" in res.json()["error"]
    page = client.post(f"/privacy/request/{rid}/verify", data={"code": "123456"})
    assert page.status_code == 429 and 'value="123456"' in page.text
    assert "Retry-After" in page.headers


def test_staff_see_the_429_count(
    client: TestClient,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    settings: Settings,
    tokens: dict[str, str],
) -> None:
    assert client.get("/api/v1/metrics").status_code == 401
    settings.rate_limit_per_identity = 1
    body = {"type": "access", "email": "m@example.test"}
    assert client.post("/api/v1/requests", json=body).status_code == 201
    for _ in range(3):
        assert client.post("/api/v1/requests", json=body).status_code == 429
    res = client.get("/api/v1/metrics", headers=auth(tokens["viewer"]))
    assert res.status_code == 200
    assert res.json()["rate_limited"] == {"total": 3, "by_scope": {"intake": 3}, "shared": False}


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
    redis_prefix: tuple[str, str],
    tokens: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    settings.redis_url, settings.redis_prefix = redis_prefix
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
            assert isinstance(first.state.limiter, RedisLimiter)
            # The refusal counted by the second worker is seen through the first.
            metrics = a.get("/api/v1/metrics", headers=auth(tokens["viewer"])).json()
            assert metrics["rate_limited"] == {
                "total": 1,
                "by_scope": {"intake": 1},
                "shared": True,
            }
    finally:
        for application in (first, second):
            limiter = getattr(application.state, "limiter", None)
            if isinstance(limiter, RedisLimiter):
                limiter.close()


def test_redis_errors_never_show_the_password() -> None:
    limiter = RedisLimiter("redis://:s3cret-pass@127.0.0.1:1/0")
    with pytest.raises(Exception) as info:
        limiter.hit("ip:x", limit=1)
    assert "s3cret-pass" not in str(info.value) and "127.0.0.1:1" in str(info.value)
    limiter.close()


def test_memory_limiter_windows(frozen_clock: Clock) -> None:
    limiter = MemoryLimiter()
    assert limiter.hit("k", limit=1).allowed
    frozen_clock.advance(minutes=30)
    refused = limiter.hit("k", limit=1)
    assert not refused.allowed and refused.retry_after == 1800
    frozen_clock.advance(minutes=30)
    assert limiter.hit("k", limit=1).allowed
