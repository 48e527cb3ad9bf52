"""Fixtures of the consent tests: a stored data map, settings seen by services, helpers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.config import Settings, get_settings
from ombud.consent import repository, service
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.db import unit_of_work
from ombud.models.datamap import DataMapVersion
from ombud.staff import service as staff_service

DATAMAP_FILE = Path(__file__).with_name("datamap.yml")
LINK_RE = re.compile(r"(http://testserver/\S+)")


def seed_officer_store(engine: Engine) -> str:
    """Commit the consent data map and a privacy officer into a store; the officer's API
    token secret."""
    with unit_of_work(engine) as session:
        datamap_service.apply_map(
            session, datamap=load_datamap(DATAMAP_FILE), files={}, author="test"
        )
        staff_service.create_user(
            session, email="officer@staff.test", password="a long password", role="privacy_officer"
        )
        return staff_service.create_token(session, email="officer@staff.test", name="t").secret


@pytest.fixture
def consent_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Services that read ``get_settings()`` see the test settings (secret key, SMTP)."""
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    yield settings


@pytest.fixture
def cli_store(cli_store: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shared CLI store with the consent data map, a few decisions and a mailbox for
    mailto: unsubscribes."""
    monkeypatch.setenv("OMBUD_BASE_URL", "https://privacy.example")
    monkeypatch.setenv("OMBUD_UNSUBSCRIBE_MAILBOX", "unsubscribe@privacy.example")
    get_settings.cache_clear()
    with unit_of_work() as session:
        datamap_service.apply_map(
            session, datamap=load_datamap(DATAMAP_FILE), files={}, author="test"
        )
        for email, decision in [
            ("a@example.com", "granted"),
            ("b@example.com", "withdrawn"),
            ("c@example.com", "refused"),
            ("d@example.com", "withdrawn"),
            ("e@example.com", "granted"),
        ]:
            service.record_decision(
                session, email=email, purpose="newsletter", decision=decision, method="import"
            )
        service.erase_subject(session, email="d@example.com")
    return cli_store


@pytest.fixture
def datamap(db_session: Session, consent_settings: Settings) -> DataMapVersion:
    """The consent test data map, applied and committed (inside the test's rollback)."""
    version, _created = datamap_service.apply_map(
        db_session, datamap=load_datamap(DATAMAP_FILE), files={}, author="test"
    )
    db_session.commit()
    return version


def counts(session: Session) -> dict[str, int]:
    """Row counts of every consent table."""
    return repository.count_rows(session)


def link_in(text: str, path: str) -> str:
    """The first link in ``text`` whose path starts with ``path`` (relative to the server)."""
    for url in LINK_RE.findall(text):
        if url.startswith("http://testserver" + path):
            return url.removeprefix("http://testserver")
    raise AssertionError(f"no link to {path} in:\n{text}")
