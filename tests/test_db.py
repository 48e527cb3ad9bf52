"""The request session (``DbSession``) without test overrides: commit, rollback, after-commit."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from ombud import db
from ombud.app import create_app
from ombud.db import DbSession, after_commit, make_engine, session_factory
from ombud.errors import Conflict
from ombud.models.staff import StaffUser
from ombud.staff import service as staff_service
from tests.fixtures.api import make_settings
from tests.fixtures.smtp import SmtpServer


def _app(url: str, tmp_path: Path, smtp_server: SmtpServer, done: list[str]) -> FastAPI:
    app = create_app(make_settings(url, tmp_path, smtp_server))

    def write(session: DbSession, email: str, fail: bool = False) -> dict[str, str]:
        staff_service.create_user(
            session, email=email, password="correct horse battery", role="viewer"
        )
        after_commit(session, lambda: done.append(email))
        if fail:
            raise Conflict(f"refusing {email} after writing it")
        return {"created": email}

    app.add_api_route("/test/write", write, methods=["POST"])
    return app


def _count(url: str, email: str) -> int:
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            stmt = select(func.count()).select_from(StaffUser).where(StaffUser.email == email)
            return int(session.scalar(stmt) or 0)
    finally:
        engine.dispose()


def test_request_commits_then_runs_after_commit_work(
    committed_store_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    done: list[str] = []
    with TestClient(_app(committed_store_url, tmp_path, smtp_server, done)) as client:
        res = client.post("/test/write", params={"email": "ok@staff.test"})
    assert res.status_code == 200, res.text
    assert _count(committed_store_url, "ok@staff.test") == 1
    assert done == ["ok@staff.test"]


def test_failed_request_rolls_back_and_skips_after_commit_work(
    committed_store_url: str, tmp_path: Path, smtp_server: SmtpServer
) -> None:
    done: list[str] = []
    with TestClient(_app(committed_store_url, tmp_path, smtp_server, done)) as client:
        res = client.post("/test/write", params={"email": "no@staff.test", "fail": True})
        assert res.status_code == 409 and "refusing no@staff.test" in res.json()["error"]
        # The session of the failed request is gone; the next one works normally.
        assert client.post("/test/write", params={"email": "next@staff.test"}).status_code == 200
    assert _count(committed_store_url, "no@staff.test") == 0
    assert _count(committed_store_url, "next@staff.test") == 1
    assert done == ["next@staff.test"]


def test_pool_hands_out_the_connection_returned_last(postgres_url: str) -> None:
    engine = make_engine(postgres_url, pool_size=2)
    try:
        first, second = engine.connect(), engine.connect()
        pids = [c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (first, second)]
        first.close()
        second.close()
        # Last in, first out: the warm connection just returned is reused, not the older one.
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == pids[1]
    finally:
        engine.dispose()


@pytest.mark.parametrize("idle", [True, False])
def test_pooled_connection_killed_while_idle_is_replaced(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, idle: bool
) -> None:
    engine = make_engine(postgres_url, pool_size=1)
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer = make_engine(postgres_url, poolclass=NullPool)
        with killer.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        # Idle longer than the threshold: checked and replaced before use.
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0 if idle else 3600.0)
        with engine.connect() as conn:
            if idle:
                assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
            else:
                # Returned moments ago: trusted, and the failure invalidates the pool ...
                with pytest.raises(OperationalError):
                    conn.execute(text("SELECT 1"))
        # ... so that the next checkout gets a fresh connection either way.
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_unit_of_work_makes_no_new_session_class(committed_store_url: str) -> None:
    # A new Session subclass per unit of work made SQLAlchemy build its event dispatch again
    # each time (about a millisecond a transaction, on the runner's and the sender's path).
    engine = make_engine(committed_store_url)
    try:
        classes = set()
        for _ in range(3):
            with db.unit_of_work(engine) as session:
                classes.add(type(session))
                assert session.scalar(text("SELECT 1")) == 1
        assert classes == {Session}
    finally:
        engine.dispose()
