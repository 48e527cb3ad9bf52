"""A live Ombud on a committed store with the shop database as its target, staff users and
requests, for the console's browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import parse_files, read_files
from ombud.db import make_engine, unit_of_work
from ombud.migrations import upgrade
from ombud.models.requests import PrivacyRequest
from ombud.staff import service as staff_service
from tests.execution import shop
from tests.fixtures.api import TEST_SECRET_KEY
from tests.fixtures.browser import free_port, serve_app
from tests.fixtures.services import create_pg_database, drop_pg_database

PASSWORD = "correct horse battery"
OFFICER = "officer@console.test"
VIEWER = "viewer@console.test"


@dataclass
class LiveConsole:
    """The running server and its store."""

    url: str
    settings: Settings
    engine: Engine

    def add_request(self, n: int, *, kind: str = "access", due_in: int = 20, **extra: Any) -> str:
        """A verified request of shop person ``n``; returns its id."""
        with unit_of_work(self.engine) as session:
            now = utcnow()
            status = extra.pop("status", "verified")
            row = PrivacyRequest(
                type=kind,
                status=status,
                jurisdiction="gdpr",
                email=shop.email(n),
                identities={"email": shop.email(n)},
                received_at=now,
                received_on=now.date(),
                due_on=now.date() + timedelta(days=due_in),
                verified_at=None if status == "awaiting_verification" else now,
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


@pytest.fixture(scope="module")
def live_console(
    store_kind: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveConsole]:
    """Ombud on 127.0.0.1 with the shop's data map and database, an officer and a viewer."""
    folder = tmp_path_factory.mktemp("console")
    url = create_pg_database("ombud_console") if store_kind == "postgresql" else ""
    url = url or f"sqlite:///{folder / 'store.db'}"
    upgrade(url)
    shop_url = f"sqlite:///{folder / 'shop.db'}"
    target = create_engine(shop_url)
    shop.populate(target)
    target.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings.model_validate(
        {
            "database_url": url,
            "secret_key": SecretStr(TEST_SECRET_KEY),
            "data_dir": folder / "data",
            "base_url": base,
            "mail_outbox": folder / "outbox",
            "retention_schedule": "",
            "housekeeping_interval_seconds": 0,
        }
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(shop.URL_VAR, shop_url)
        mp.setattr("ombud.config.get_settings", lambda: settings)
        engine = make_engine(url)
        with unit_of_work(engine) as session:
            datamap_service.apply_map(
                session, datamap=parse_files(read_files(shop.DATAMAP)), files={}, author="test"
            )
            staff_service.create_user(
                session,
                email=OFFICER,
                password=PASSWORD,
                role="privacy_officer",
                name="Olga Officer",
            )
            staff_service.create_user(session, email=VIEWER, password=PASSWORD, role="viewer")
            for width in (390, 1280):
                staff_service.create_user(
                    session, email=f"totp{width}@console.test", password=PASSWORD, role="admin"
                )
        with serve_app(create_app(settings), port):
            try:
                yield LiveConsole(base, settings, engine)
            finally:
                engine.dispose()
    if store_kind == "postgresql":
        drop_pg_database(url)


def sign_in(page: Any, base: str, email: str = OFFICER) -> None:
    """Sign in through the form (from wherever the console sends a signed-out browser)."""
    page.goto(f"{base}/staff")
    assert "/staff/login" in page.url
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff")


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot when OMBUD_CONSOLE_SHOTS names a folder (for a person)."""
    folder = os.environ.get("OMBUD_CONSOLE_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
