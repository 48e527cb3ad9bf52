"""Checked tokens are trusted for OMBUD_TOKEN_CACHE_SECONDS; revocation and expiry still win."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ombud.app import create_app
from ombud.cli.main import app as cli
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import make_engine, session_factory
from ombud.errors import NotFound, Unauthorized
from ombud.models.staff import ApiToken
from ombud.staff import service
from tests.fixtures.api import Clock, auth, make_settings
from tests.fixtures.smtp import SmtpServer


def _revoke_behind_the_cache(db_session: Session, secret: str) -> None:
    """Revoke the way another server process would: straight in the store."""
    db_session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == service.hash_token(secret))
        .values(revoked_at=utcnow())
    )
    db_session.flush()


def test_checked_token_is_trusted_until_the_cache_expires(
    client: TestClient, tokens: dict[str, str], db_session: Session
) -> None:
    secret = tokens["viewer"]
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200
    _revoke_behind_the_cache(db_session, secret)
    # Another process revoked it: this one still trusts its check for a few seconds ...
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200
    # ... and not a moment longer.
    assert service.cached_token(secret, 0.0) is None
    assert service.cached_token(secret, 5.0) is not None


def test_no_cache_checks_every_request(
    client: TestClient, settings: Settings, tokens: dict[str, str], db_session: Session
) -> None:
    settings.token_cache_seconds = 0
    secret = tokens["admin"]
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200
    _revoke_behind_the_cache(db_session, secret)
    res = client.get("/api/v1/me", headers=auth(secret))
    assert res.status_code == 401 and res.json()["error"] == "invalid API token"


def test_revoking_takes_effect_at_once_in_this_process(
    client: TestClient, tokens: dict[str, str], db_session: Session
) -> None:
    secret = tokens["privacy_officer"]
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200
    revoked = service.revoke_token(db_session, prefix=secret[:12])
    db_session.commit()
    assert revoked.revoked_at is not None
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 401
    with pytest.raises(NotFound, match="no live API token"):
        service.revoke_token(db_session, prefix=secret[:12])


def test_cached_token_still_expires(
    client: TestClient, db_session: Session, frozen_clock: Clock
) -> None:
    service.create_user(
        db_session, email="t@staff.test", password="correct horse battery", role="viewer"
    )
    secret = service.create_token(
        db_session, email="t@staff.test", name="short", expires_in_days=1
    ).secret
    db_session.commit()
    assert client.get("/api/v1/me", headers=auth(secret)).status_code == 200
    frozen_clock.advance(days=1, seconds=1)
    res = client.get("/api/v1/me", headers=auth(secret))
    assert res.status_code == 401 and res.json()["error"] == "API token has expired"


def test_cli_lists_and_revokes_tokens(cli_store: str) -> None:
    runner = CliRunner()
    env = {"OMBUD_NEW_PASSWORD": "correct horse battery"}
    assert runner.invoke(cli, ["users", "create", "r@staff.test"], env=env).exit_code == 0
    made = runner.invoke(cli, ["tokens", "create", "r@staff.test", "--name", "ci"])
    secret = made.output.strip().splitlines()[-1]
    listed = runner.invoke(cli, ["tokens", "list"])
    assert listed.exit_code == 0
    assert f"{secret[:12]}  ci  r@staff.test  viewer  no expiry  live" in listed.output
    revoked = runner.invoke(cli, ["tokens", "revoke", secret[:12]])
    assert revoked.exit_code == 0, revoked.output
    assert f"revoked token {secret[:12]} (ci)" in revoked.output
    assert "revoked 20" in runner.invoke(cli, ["tokens", "list"]).output
    again = runner.invoke(cli, ["tokens", "revoke", secret[:12]])
    assert again.exit_code != 0 and "no live API token" in again.output
    engine = make_engine(cli_store)
    try:
        with (
            session_factory(engine)() as session,
            pytest.raises(Unauthorized, match="invalid API token"),
        ):
            service.authenticate_token(session, secret)
    finally:
        engine.dispose()


def test_cached_token_survives_a_failed_request(
    committed_store_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    engine = make_engine(committed_store_url)
    with session_factory(engine)() as session:
        service.create_user(
            session, email="v@staff.test", password="correct horse battery", role="viewer"
        )
        secret = service.create_token(session, email="v@staff.test", name="v").secret
        session.commit()
    engine.dispose()
    app = create_app(make_settings(committed_store_url, tmp_path, smtp_server))
    with TestClient(app) as client:
        # Too weak a role: the first request's session rolls back after the token was checked
        # and cached.
        denied = client.post("/api/v1/requests/nope/approve", headers=auth(secret))
        assert denied.status_code == 403
        again = client.get("/api/v1/me", headers=auth(secret))
        assert again.status_code == 200 and again.json()["role"] == "viewer"
