"""A live Ombud server on a committed store, the test website on another origin, and
Debian's Chromium driven by Playwright (skipped, or failed under OMBUD_REQUIRE_SERVICES=1,
when Playwright or Chromium is missing)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.app import create_app
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import DataMap
from ombud.db import make_engine
from ombud.migrations import upgrade
from tests.consent.banner.site import serve_site
from tests.fixtures.api import TEST_SECRET_KEY
from tests.fixtures.browser import chromium, free_port, serve_app
from tests.fixtures.services import create_pg_database, drop_pg_database

HERE = Path(__file__).parent
BANNER_MAP = HERE / "datamap.yml"


@dataclass
class Live:
    """The running Ombud server, its store and the website embedding the banner."""

    url: str
    site: str
    settings: Settings
    engine: Engine

    def session(self) -> Session:
        """A session on the server's store (for checking the ledger)."""
        return Session(self.engine, expire_on_commit=False)

    def apply(self, datamap: DataMap) -> None:
        """Apply a data map to the server's store and commit."""
        with self.session() as s:
            datamap_service.apply_map(s, datamap=datamap, files={}, author="test")
            s.commit()


@pytest.fixture(scope="module")
def live(store_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Ombud on 127.0.0.1 with the test website's data map; the website on localhost."""
    folder = tmp_path_factory.mktemp("live")
    url = create_pg_database("ombud_live") if store_kind == "postgresql" else ""
    url = url or f"sqlite:///{folder / 'store.db'}"
    upgrade(url)
    port = free_port()
    ombud = f"http://127.0.0.1:{port}"
    with serve_site(ombud) as site:
        settings = Settings.model_validate(
            {
                "database_url": url,
                "secret_key": SecretStr(TEST_SECRET_KEY),
                "data_dir": folder / "data",
                "base_url": ombud,
                "banner_origins": site,
                "mail_outbox": folder / "outbox",
            }
        )
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("ombud.config.get_settings", lambda: settings)
            with serve_app(create_app(settings), port):
                result = Live(ombud, site, settings, make_engine(url))
                result.apply(load_datamap(BANNER_MAP))
                try:
                    yield result
                finally:
                    result.engine.dispose()
    if store_kind == "postgresql":
        drop_pg_database(url)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, with a fresh profile."""
    with chromium() as b:
        yield b


@pytest.fixture
def fresh_map(live: Live) -> Iterator[Live]:
    """The website's data map in force again at the start of each test."""
    live.apply(load_datamap(BANNER_MAP))
    yield live
