"""A live Ombud on the demo company (manual systems, restriction flags, objections on
legitimate interests) for the request page's browser tests, with an officer to sign in."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.db import make_engine, unit_of_work
from ombud.demo.setup import init_demo
from ombud.manual import links
from ombud.manual import repository as manual_repository
from ombud.migrations import upgrade
from ombud.models.requests import PrivacyRequest
from ombud.staff import service as staff_service
from tests.console.browser import OFFICER, PASSWORD
from tests.fixtures.api import TEST_SECRET_KEY
from tests.fixtures.browser import free_port, serve_app
from tests.fixtures.services import create_pg_database, drop_pg_database

# A second officer: the demo's rule for restrictions needs two staff approvals.
SECOND = "second@console.test"


@dataclass
class LiveDemo:
    """The running server, its store and the demo company's database."""

    url: str
    settings: Settings
    engine: Engine
    app_db: Engine

    def customer(self, n: int) -> tuple[int, str]:
        """The id and email of the demo's ``n``-th account."""
        with self.app_db.connect() as conn:
            row = conn.execute(
                text("SELECT id, email FROM accounts ORDER BY id LIMIT 1 OFFSET :n"), {"n": n}
            ).one()
        return int(row[0]), str(row[1])

    def restricted(self, account_id: int) -> bool:
        """The account's restriction flag column in the demo database."""
        with self.app_db.connect() as conn:
            sql = text("SELECT processing_restricted FROM accounts WHERE id = :a")
            return bool(conn.scalar(sql, {"a": account_id}))

    def add_request(self, email: str, kind: str, status: str = "verified", **extra: Any) -> str:
        """A request of the customer with ``email`` stored as staff would find it."""
        with unit_of_work(self.engine) as session:
            now = utcnow()
            row = PrivacyRequest(
                type=kind,
                status=status,
                jurisdiction="gdpr",
                email=email,
                identities={"email": email},
                received_at=now,
                received_on=now.date(),
                due_on=now.date() + timedelta(days=25),
                verified_at=now,
                **extra,
            )
            session.add(row)
            session.flush()
            return row.id

    def get(self, request_id: str) -> PrivacyRequest:
        """The stored request."""
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.get(PrivacyRequest, request_id)
            assert row is not None
            return row

    def task_links(self, request_id: str) -> list[str]:
        """The owners' links of the request's open manual tasks (as their mail has them)."""
        with Session(self.engine) as session:
            return [
                links.url(self.settings, t.id, t.link_version)
                for t in manual_repository.for_request(session, request_id)
                if t.status == "open"
            ]


@pytest.fixture(scope="module")
def live_demo(store_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveDemo]:
    """Ombud on 127.0.0.1 with the demo company's data map and database, and an officer."""
    folder = tmp_path_factory.mktemp("console-demo")
    demo = init_demo(folder / "demo", people=40, seed=11)
    url = create_pg_database("ombud_console") if store_kind == "postgresql" else ""
    url = url or f"sqlite:///{folder / 'store.db'}"
    upgrade(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings.model_validate(
        {
            "database_url": url,
            "secret_key": SecretStr(TEST_SECRET_KEY),
            "data_dir": folder / "data",
            "base_url": base,
            "mail_outbox": folder / "outbox",
            "mail_sender": "privacy@postlicht.example",
            "retention_schedule": "",
            "housekeeping_interval_seconds": 0,
        }
    )
    app_db = create_engine(f"sqlite:///{demo.app_db}")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("ombud.config.get_settings", lambda: settings)
        engine = make_engine(url)
        with unit_of_work(engine) as session:
            datamap_service.apply(session, path=demo.directory / "datamap", author="test")
            staff_service.create_user(
                session, email=OFFICER, password=PASSWORD, role="privacy_officer", name="Olga"
            )
            staff_service.create_user(
                session, email=SECOND, password=PASSWORD, role="privacy_officer", name="Sven"
            )
        with serve_app(create_app(settings), port):
            try:
                yield LiveDemo(base, settings, engine, app_db)
            finally:
                engine.dispose()
                app_db.dispose()
    if store_kind == "postgresql":
        drop_pg_database(url)
