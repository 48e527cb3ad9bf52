"""Fixtures of the complaint tests: a stored data map naming purposes and a dispute body."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import store_datamap

DATAMAP_FILE = Path(__file__).with_name("datamap.yml")


@pytest.fixture
def datamap(db_session: Session) -> DataMapVersion:
    """The complaint test data map (Acme, Berlin authority, JAMS for ccpa), committed."""
    version = store_datamap(db_session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
    db_session.commit()
    return version


@pytest.fixture
def complaint_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Services that read ``get_settings()`` see the test settings (SMTP, secret key)."""
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    yield settings
