"""The console in Chromium: sign in, filter, open, preview, approve and run, deny with the
letter, extend; axe-core and no sideways scrolling on every page at 390 and 1280 px; and the
same reading and deciding with JavaScript off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.models.audit import AuditEntry
from tests.console.browser import (
    OFFICER,
    PASSWORD,
    VIEWER,
    LiveConsole,
    live_console,
    shot,
    sign_in,
)
from tests.fixtures.browser import axe_violations, chromium, horizontal_overflow

__all__ = ["live_console"]

WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    with chromium() as b:
        yield b


def _check(page: Any, name: str, width: int) -> None:
    """No axe-core violation and nothing wider than the window."""
    assert axe_violations(page) == [], name
    assert horizontal_overflow(page) == 0, name
    shot(page, f"{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_is_accessible(browser: Any, live_console: LiveConsole, width: int) -> None:
    base = live_console.url
    request_id = live_console.add_request(1, due_in=3)
    live_console.add_request(2, kind="erasure", due_in=-1)
    live_console.add_request(3, status="awaiting_verification", due_in=30)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/staff/login")
    _check(page, "login", width)
    sign_in(page, base)
    _check(page, "dashboard", width)
    page.goto(f"{base}/staff/requests")
    _check(page, "queue", width)
    page.check(f"#pick-{request_id}")
    page.select_option("#bulk-action", "assign")
    page.fill("#bulk-reason", "yours this week")
    page.click("fieldset button[type=submit]")
    page.wait_for_selector("#bulk-result")
    _check(page, "bulk-result", width)
    page.goto(f"{base}/staff/requests/{request_id}")
    _check(page, "request", width)
    page.click("text=Show the preview")
    page.wait_for_selector("#preview table")
    _check(page, "preview", width)
    page.click("summary:has-text('Deny')")
    page.fill("#deny-reason", "We cannot identify you from what you sent.")
    page.click("text=Show the letter")
    page.wait_for_selector("pre.letter")
    _check(page, "deny-letter", width)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_second_factor_pages_are_accessible(
    browser: Any, live_console: LiveConsole, width: int
) -> None:
    base, email = live_console.url, f"totp{width}@console.test"
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, base, email)
    page.goto(f"{base}/staff/account")
    _check(page, "account", width)
    page.click("text=Set up a second factor")
    page.wait_for_selector(".qr svg")
    _check(page, "enrol", width)
    secret = page.inner_text(".qr code")
    page.fill("#code", pyotp.TOTP(secret).at(utcnow()))
    page.click("button:has-text('Confirm')")
    page.wait_for_selector("ul.codes")
    _check(page, "recovery", width)
    page.click("text=Sign out")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/login/code**")
    _check(page, "code", width)
    page.fill("#code", "000000")
    page.click("button[type=submit]")
    assert "not right" in page.inner_text("main")
    _check(page, "code-wrong", width)
    context.close()


def test_sign_in_filter_preview_approve_run(browser: Any, live_console: LiveConsole) -> None:
    base = live_console.url
    access = live_console.add_request(4, due_in=12)
    erasure = live_console.add_request(5, kind="erasure", due_in=25)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, base)
    page.click("nav >> text=Requests")
    # The filter changes the table through htmx and the address keeps the filter.
    page.select_option("#f-type", "erasure")
    page.wait_for_url("**type=erasure**")
    page.wait_for_function("!document.querySelector('#queue').innerText.includes('access')")
    assert erasure[:8] in page.inner_text("#queue")
    kinds = page.locator("#queue tbody td:nth-child(4)").all_inner_texts()
    assert kinds and set(kinds) == {"erasure"}
    page.select_option("#f-type", "")
    page.fill("#f-q", "person4@")
    page.press("#f-q", "Enter")
    page.wait_for_url("**q=person4**")
    page.click(f"#queue a[href='/staff/requests/{access}']")
    page.wait_for_url(f"**/staff/requests/{access}")
    page.click("text=Show the preview")
    preview = page.locator("#preview")
    preview.locator("table").wait_for()
    assert "customers" in preview.inner_text() and "export" in preview.inner_text()
    page.click("button:has-text('Approve')")
    page.wait_for_url("**done=approve")
    assert "Approved." in page.inner_text("main")
    page.click("button:has-text('Run now')")
    page.wait_for_url("**done=run")
    assert live_console.get(access).status == "completed"
    main = page.inner_text("main")
    assert "completed" in main and "Result" in main
    assert "Letter: " in main  # the completion letter is in the timeline
    with page.expect_download() as info:
        page.click("text=Download the package")
    assert info.value.suggested_filename.endswith(".zip")
    with Session(live_console.engine) as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "execution.package_downloaded_by_staff")
        ).one()
        assert entry.actor == OFFICER and entry.subject_id == access
    assert errors == []


def test_deny_with_the_letter_and_extend(browser: Any, live_console: LiveConsole) -> None:
    base = live_console.url
    denied = live_console.add_request(6, due_in=20)
    extended = live_console.add_request(1, kind="erasure", due_in=20)
    page = browser.new_page(viewport={"width": 390, "height": 800})
    sign_in(page, base)
    page.goto(f"{base}/staff/requests/{denied}")
    page.click("summary:has-text('Deny')")
    reason = "The request repeats one we answered last month."
    page.fill("#deny-reason", reason)
    page.click("text=Show the letter")
    letter = page.locator("pre.letter")
    assert reason in letter.inner_text()
    assert live_console.get(denied).status == "verified"
    page.click("text=Send the letter and deny")
    page.wait_for_url("**done=deny")
    assert live_console.get(denied).status == "denied"
    page.goto(f"{base}/staff/requests/{extended}")
    page.click("summary:has-text('Extend the deadline')")
    page.fill("#extend-reason", "Several systems hold your data.")
    page.click("button:has-text('Extend')")
    page.wait_for_url("**done=extend")
    assert live_console.get(extended).extended_due_on is not None
    assert "extended from" in page.inner_text("main")


def test_works_without_javascript(browser: Any, live_console: LiveConsole) -> None:
    base = live_console.url
    request_id = live_console.add_request(2, kind="access", due_in=9)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in(page, base)
    page.goto(f"{base}/staff/requests")
    page.select_option("#f-type", "access")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url("**type=access**")
    assert request_id[:8] in page.inner_text("#queue")
    page.goto(f"{base}/staff/requests/{request_id}")
    page.click("text=Show the preview")  # a plain link: the whole page with the preview
    page.wait_for_url(f"**/staff/requests/{request_id}/preview")
    assert "customers" in page.inner_text("#preview")
    page.click("button:has-text('Approve')")
    page.wait_for_url("**done=approve")
    assert live_console.get(request_id).status == "approved"
    context.close()


def test_every_read_page_works_without_javascript(browser: Any, live_console: LiveConsole) -> None:
    """Each page of the navigation, and the pages the data map page links to, with script off."""
    base = live_console.url
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 800})
    page = context.new_page()
    sign_in(page, base)
    nav = page.eval_on_selector_all("nav a[href^='/staff']", "els => els.map(e => e.pathname)")
    assert {"/staff/requests", "/staff/datamap", "/staff/statement", "/staff/complaints"} <= set(
        nav
    )
    page.goto(f"{base}/staff/datamap")
    more = page.eval_on_selector_all(
        "main a[href^='/staff/datamap/']", "els => els.map(e => e.pathname + e.search)"
    )
    for path in dict.fromkeys([*nav, *more]):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 200, path
        assert page.locator("main h1").count() == 1, path
        assert "/staff/login" not in page.url, path
    context.close()


def test_viewer_sees_no_decisions(browser: Any, live_console: LiveConsole) -> None:
    base = live_console.url
    request_id = live_console.add_request(3, due_in=9)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, base, VIEWER)
    page.goto(f"{base}/staff/requests/{request_id}")
    assert page.locator("button:has-text('Approve')").count() == 0
    page.click("text=Sign out")
    page.wait_for_url("**/staff/login?signed_out=1")
    assert "You are signed out." in page.inner_text("main")
    page.goto(f"{base}/staff")
    assert "/staff/login" in page.url
