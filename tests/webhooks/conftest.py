"""A committed store, settings with a short retry budget, and a real HTTP receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ombud.config import Settings
from ombud.db import make_engine
from tests.fixtures.api import make_settings
from tests.fixtures.smtp import SmtpServer
from tests.webhooks.receiver import receiver, tls_receiver  # noqa: F401  (shared fixtures)


@pytest.fixture
def hooks_store(
    committed_store_url: str,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, Engine]]:
    """Settings on a committed store (three tries per delivery) and its engine."""
    settings = make_settings(committed_store_url, tmp_path, smtp_server, webhook_max_attempts=3)
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    engine = make_engine(committed_store_url)
    yield settings, engine
    engine.dispose()
