"""The owner's task page in a real browser: no axe-core violations, no sideways scrolling, and
the form reports the task."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from ombud.app import create_app
from ombud.clock import utcnow
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import make_engine, unit_of_work
from ombud.manual import links, service
from ombud.models.manual import ManualTask
from ombud.models.requests import PrivacyRequest
from tests.fixtures.api import make_settings
from tests.fixtures.browser import (
    axe_violations,
    chromium,
    free_port,
    horizontal_overflow,
    serve_app,
)
from tests.fixtures.smtp import SmtpServer


def test_owner_reports_through_the_page(
    committed_store_url: str, smtp_server: SmtpServer, tmp_path: Path, shop_map: DataMap
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = make_settings(committed_store_url, tmp_path, smtp_server, base_url=base)
    engine = make_engine(committed_store_url)
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=shop_map, files={}, author="test")
        now = utcnow()
        request = PrivacyRequest(
            type="objection",
            status="approved",
            jurisdiction="gdpr",
            email="person@shop.test",
            identities={"email": "person@shop.test"},
            received_at=now,
            received_on=now.date(),
            due_on=now.date() + timedelta(days=20),
        )
        session.add(request)
        session.flush()
        (task,) = service.open_for_request(session, settings, request, actor="test")
        url = links.url(settings, task.id, task.link_version)
    try:
        with serve_app(create_app(settings), port), chromium() as browser:
            page = browser.new_page(viewport={"width": 360, "height": 740})
            page.goto(url)
            assert "person@shop.test" in page.content()
            assert axe_violations(page) == []
            assert horizontal_overflow(page) == 0
            page.screenshot(path=str(tmp_path / "task.png"), full_page=True)
            page.check("#o-none")
            page.fill("#note", "searched the ticket archive")
            page.click("button[type=submit]")
            page.wait_for_selector("text=Thank you")
            assert "nothing" in page.content().lower()
            assert axe_violations(page) == []
            page.goto(url)
            assert "already closed" in page.content()
        with unit_of_work(engine) as session:
            (stored,) = session.scalars(select(ManualTask))
            assert (stored.status, stored.note) == ("nothing_found", "searched the ticket archive")
    finally:
        engine.dispose()
