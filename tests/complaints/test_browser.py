"""The complaint page in Chromium: no axe-core violations, empty or with errors; a complaint
sent from it shows its reference and deadline, and the acknowledgement is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr

from ombud.app import create_app
from ombud.config import Settings
from ombud.db import make_engine, unit_of_work
from tests.complaints.conftest import DATAMAP_FILE
from tests.dsr.conftest import store_datamap
from tests.fixtures.api import TEST_SECRET_KEY, Clock
from tests.fixtures.browser import axe_violations, chromium, free_port, serve_app


def test_complaint_page_in_a_browser(
    committed_store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    frozen_clock: Clock,
) -> None:
    port = free_port()
    settings = Settings.model_validate(
        {
            "database_url": committed_store_url,
            "secret_key": SecretStr(TEST_SECRET_KEY),
            "data_dir": tmp_path / "data",
            "base_url": f"http://127.0.0.1:{port}",
            "mail_outbox": tmp_path / "outbox",
            "retention_schedule": "",
            "housekeeping_interval_seconds": 0,
        }
    )
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    engine = make_engine(committed_store_url)
    with unit_of_work(engine) as session:
        store_datamap(session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
    engine.dispose()
    with serve_app(create_app(settings), port) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 800})
        page.goto(base + "/privacy/complaint")
        assert axe_violations(page) == []
        page.check("#about-processing")
        page.fill("#text", "Too many mails.")
        page.fill("#email", "not an address")
        page.click("button[type=submit]")
        assert page.locator("#email-error").is_visible(), page.content()[:3000]
        assert page.locator("#purpose-error").is_visible()
        assert page.input_value("#text") == "Too many mails."
        assert axe_violations(page) == []
        page.select_option("#purpose", "marketing.communications.email")
        page.fill("#email", "web@example.test")
        page.click("button[type=submit]")
        status = page.locator("[role=status]").inner_text()
        assert "2026-04-02" in status
        reference = page.locator("code").inner_text()
        assert reference.startswith("C-")
        assert axe_violations(page) == []
    mails = list((tmp_path / "outbox").glob("*.eml"))
    assert len(mails) == 1 and reference in mails[0].read_text(encoding="utf-8")
