"""Statement, Retention and Complaints in Chromium at 390 and 1280 px: axe-core finds nothing
and nothing is wider than the window; an officer publishes the statement, runs retention and
answers a complaint after reading the letter, all by ordinary form posts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ombud.complaints import service as complaints
from ombud.complaints.schemas import ComplaintCreate
from ombud.db import unit_of_work
from ombud.models.complaints import Complaint
from tests.console.browser import LiveConsole, live_console, shot, sign_in
from tests.fixtures.browser import axe_violations, chromium, horizontal_overflow

__all__ = ["live_console"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    with chromium() as b:
        yield b


def _complaint(live: LiveConsole, text: str) -> str:
    with unit_of_work(live.engine) as session:
        row = complaints.submit(
            session,
            data=ComplaintCreate(about="general", email="cleo@example.com", text=text),
            source="web",
        )
        return row.id


def _check(page: Any, name: str, width: int) -> None:
    assert axe_violations(page) == [], name
    assert horizontal_overflow(page) == 0, name
    shot(page, f"{name}-{width}")


@pytest.mark.parametrize("width", [390, 1280])
def test_officer_walks_statement_retention_and_complaints(
    browser: Any, live_console: LiveConsole, width: int
) -> None:
    base = live_console.url
    complaint_id = _complaint(live_console, f"A complaint read at {width} px. " * 8)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, base)
    # Statement: the draft against what is published; publish when there is something new.
    page.goto(f"{base}/staff/statement")
    _check(page, "statement", width)
    if "is up to date" not in page.inner_text("main"):  # the first width publishes it
        page.fill("#s-summary", "First version")
        page.click("text=Publish version")
        page.wait_for_selector("text=Published. The statement pages")
    assert "is up to date" in page.inner_text("main")
    _check(page, "statement-published", width)
    page.goto(f"{base}/staff/statement/draft")
    _check(page, "statement-draft", width)
    # Retention: the plan and the status; run now.
    page.goto(f"{base}/staff/retention")
    assert "Status per rule" in page.inner_text("main")
    _check(page, "retention", width)
    page.click("button:has-text('Run now')")
    page.wait_for_selector("text=The run just now")
    _check(page, "retention-ran", width)
    # Complaints: the list, one complaint, the letter, then send it.
    page.goto(f"{base}/staff/complaints")
    _check(page, "complaints", width)
    page.click(f"a[href='/staff/complaints/{complaint_id}']")
    page.wait_for_selector("#timeline-h")
    _check(page, "complaint", width)
    page.fill("#c-answer", "We looked into it and corrected our records.")
    page.click("button:has-text('Show the letter')")
    page.wait_for_selector("#letter-preview")
    assert "corrected our records" in page.inner_text("#letter-preview")
    _check(page, "complaint-letter", width)
    page.click("text=Send this answer")
    page.wait_for_selector("text=Answered. The letter was sent.")
    _check(page, "complaint-answered", width)
    with unit_of_work(live_console.engine) as session:
        stored = session.get(Complaint, complaint_id)
        assert stored is not None and stored.status == "answered"
    context.close()
