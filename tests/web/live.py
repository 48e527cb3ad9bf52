"""A live Ombud server with the demo company's data map (brand, statement published, a person
with decisions) for browser tests of every public page."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ombud import clock
from ombud.app import create_app
from ombud.config import Settings
from ombud.consent import preferences, receipts, service, tokens
from ombud.consent.ledger import Context
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.db import make_engine
from ombud.migrations import upgrade
from ombud.models.consent import ConsentPending, ConsentRecord
from ombud.notices import service as notices
from tests.fixtures.api import EPOCH, TEST_SECRET_KEY
from tests.fixtures.browser import free_port, serve_app
from tests.fixtures.services import create_pg_database, drop_pg_database

DEMO_MAP = Path(__file__).resolve().parents[2] / "src" / "ombud" / "demo" / "datamap"
PERSON = "mira@example.com"
CODE_RE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


@dataclass
class Site:
    """The running server and links into its pages that need a token."""

    url: str
    settings: Settings
    engine: Engine

    def session(self) -> Session:
        """A session on the server's store."""
        return Session(self.engine, expire_on_commit=False)

    def code_for(self, address: str) -> str:
        """The code in the newest mail to ``address`` in the outbox folder."""
        outbox = self.settings.mail_outbox
        assert outbox is not None
        for path in sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True):
            msg = email.message_from_bytes(path.read_bytes())
            if address not in str(msg["To"]):
                continue
            for part in msg.walk():
                if part.get_content_type() == "text/plain":
                    payload = part.get_payload(decode=True)
                    assert isinstance(payload, bytes)
                    match = CODE_RE.search(payload.decode())
                    if match:
                        return match.group(1)
        raise AssertionError(f"no code mailed to {address}")


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def _prepare(site: Site) -> None:
    """The demo map in force, its statement published, one person with decisions; a day
    before the tests' anchored clock starts, so all of it is in the past for them."""
    clock.set_clock(lambda: EPOCH - timedelta(days=1))
    try:
        with site.session() as s:
            datamap_service.apply_map(
                s, datamap=load_datamap(DEMO_MAP), files={}, author="test", source="demo"
            )
            s.flush()
            notices.publish(s, site.settings, actor="test")
            ctx = Context(source_url=site.url + "/privacy/preferences")
            for purpose, method in (
                ("analytics.reporting.content_performance", "preference_center"),
                ("newsletter", "web_form"),
            ):
                service.record_decision(
                    s,
                    email=PERSON,
                    purpose=purpose,
                    decision="granted",
                    method=method,
                    context=ctx,
                    settings=site.settings,
                )
            preferences.request_subscription(
                s, email=PERSON, purpose="product_updates", context=ctx, settings=site.settings
            )
            s.commit()
    finally:
        clock.set_clock(None)


def links(site: Site) -> dict[str, str]:
    """Signed links into the person's pages, made on the test's clock."""
    with site.session() as s:
        pending = s.scalars(select(ConsentPending)).one()
        record = s.scalars(select(ConsentRecord).order_by(ConsentRecord.recorded_at)).first()
        assert record is not None
        headers = preferences.unsubscribe_headers(
            email=PERSON, purpose="newsletter", settings=site.settings
        )
        unsubscribe = re.search(
            r"<https?://[^/]+(/privacy/unsubscribe/[^>]+)>", headers["List-Unsubscribe"]
        )
        assert unsubscribe is not None
        made = {
            "preference link": _path(preferences.preference_link(s, PERSON, site.settings)),
            "receipt": _path(receipts.receipt_link(record, site.settings)),
            "confirm": "/privacy/confirm/"
            + tokens.sign(tokens.CONFIRM, {"p": pending.id}, site.settings),
            "unsubscribe": unsubscribe.group(1),
        }
        s.commit()
    return made


@pytest.fixture(scope="module")
def site(store_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Ombud on 127.0.0.1 serving the demo company's public pages."""
    with running_site(store_kind, tmp_path_factory.mktemp("pages")) as result:
        yield result


@contextmanager
def running_site(
    store_kind: str, folder: Path, name: str = "ombud_pages", **overrides: object
) -> Iterator[Site]:
    """A live server on the demo map in its own store, with ``overrides`` of the settings."""
    url = create_pg_database(name) if store_kind == "postgresql" else ""
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
            **overrides,
        }
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("ombud.config.get_settings", lambda: settings)
        with serve_app(create_app(settings), port):
            result = Site(base, settings, make_engine(url))
            _prepare(result)
            try:
                yield result
            finally:
                result.engine.dispose()
    if store_kind == "postgresql":
        drop_pg_database(url)
