"""The outbox tests' store (really committed) and mail settings (a real SMTP server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ombud.config import Settings
from ombud.db import make_engine
from tests.fixtures.api import make_settings
from tests.fixtures.smtp import SmtpServer


@pytest.fixture
def store(committed_store_url: str) -> Iterator[Engine]:
    engine = make_engine(committed_store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def mail_settings(committed_store_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    return make_settings(committed_store_url, tmp_path, smtp_server)
