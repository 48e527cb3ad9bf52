"""New request, People, Team and Audit in Chromium: axe-core finds nothing and nothing is wider
than the window at 390 and 1280 px; an officer enters a request, a viewer sees no way to change
anything."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ombud.db import unit_of_work
from ombud.staff import service as staff_service
from tests.console.browser import PASSWORD, VIEWER, LiveConsole, live_console, shot, sign_in
from tests.execution import shop
from tests.fixtures.browser import axe_violations, chromium, horizontal_overflow

__all__ = ["live_console"]

ADMIN = "admin@console.test"
WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def admin(live_console: LiveConsole) -> str:
    """An admin of the live console, and a consent decision to look up."""
    with unit_of_work(live_console.engine) as session:
        staff_service.create_user(session, email=ADMIN, password=PASSWORD, role="admin")
    return ADMIN


def _check(page: Any, name: str, width: int) -> None:
    assert axe_violations(page) == [], name
    assert horizontal_overflow(page) == 0, name
    shot(page, f"{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_ops_pages_are_accessible(
    browser: Any, live_console: LiveConsole, admin: str, width: int
) -> None:
    base = live_console.url
    live_console.add_request(11, due_in=4)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, base, admin)
    page.goto(f"{base}/staff/requests/new")
    _check(page, "new-request", width)
    page.fill("#n-email", shop.email(11))
    page.click("#n-staff")
    page.click("text=Create the request")  # no proof named: the errors are shown
    page.wait_for_selector(".alert")
    _check(page, "new-request-errors", width)
    page.goto(f"{base}/staff/people")
    _check(page, "people", width)
    page.fill("#p-value", shop.email(11))
    page.click("button:has-text('Look up')")
    page.wait_for_selector("#history-h")
    _check(page, "people-found", width)
    page.goto(f"{base}/staff/team")
    _check(page, "team", width)
    page.goto(f"{base}/staff/audit")
    _check(page, "audit", width)
    page.click("text=Check the chain")
    page.wait_for_selector("text=The chain is intact")
    _check(page, "audit-verified", width)
    context.close()


def test_officer_enters_a_request_verified_by_staff(
    browser: Any, live_console: LiveConsole
) -> None:
    base = live_console.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, base)
    page.click("nav >> text=New request")
    page.select_option("#n-type", "access")
    page.fill("#n-email", shop.email(12))
    page.select_option("#n-jur", "gdpr")
    page.click("#n-staff")
    page.fill("#n-reason", "identity card seen at the desk")
    page.click("text=Create the request")
    page.wait_for_selector("text=Request created.")
    request_id = page.url.split("/staff/requests/")[1].split("?")[0]
    assert live_console.get(request_id).status == "verified"
    assert "identity card seen at the desk" in page.inner_text("main")
    page.close()


def test_viewer_sees_no_way_to_change_anything(
    browser: Any, live_console: LiveConsole, admin: str
) -> None:
    base = live_console.url
    live_console.add_request(13)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, base, VIEWER)
    nav = page.inner_text("nav")
    assert "New request" not in nav and "Team" not in nav
    assert "People" in nav and "Audit" in nav
    page.click("nav >> text=People")
    page.fill("#p-value", shop.email(13))
    page.click("button:has-text('Look up')")
    page.wait_for_selector("#history-h")
    assert "No consent" in page.inner_text("main")
    assert page.locator("#requests-h + ul a").count() == 1  # the person's request
    assert page.locator("text=Record a decision").count() == 0
    assert page.goto(f"{base}/staff/team").status == 403
    assert page.goto(f"{base}/staff/requests/new").status == 403
    page.close()
