"""The request page in Chromium on the demo company: a restriction approved, its manual tasks
closed by their owners through the emailed links and then lifted after its letter; an
objection decided purpose by purpose; a request marked done by hand and reopened. axe-core
finds nothing and nothing is wider than the window, at 390 and 1280 px, in every state."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.console.browser import shot, sign_in
from tests.console.browser_demo import SECOND, LiveDemo, live_demo
from tests.fixtures.browser import axe_violations, chromium, horizontal_overflow

__all__ = ["live_demo"]

WIDTHS = (390, 1280)
FRAUD = "essential.fraud_detection"
SECURITY = "essential.service.security"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    with chromium() as b:
        yield b


def _check(page: Any, name: str, width: int) -> None:
    """No axe-core violation and nothing wider than the window."""
    assert axe_violations(page) == [], name
    assert horizontal_overflow(page) == 0, name
    shot(page, f"request-{name}-{width}")


def _open(page: Any, live: LiveDemo, request_id: str) -> None:
    page.goto(f"{live.url}/staff/requests/{request_id}")


@pytest.mark.parametrize("width", WIDTHS)
def test_restriction_with_manual_tasks_is_set_then_lifted(
    browser: Any, live_demo: LiveDemo, width: int
) -> None:
    live = live_demo
    account, email = live.customer(1 if width == 390 else 2)
    rid = live.add_request(
        email, "restriction", approval_policy="two", approval_rule="approval.restriction"
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live.url)
    _open(page, live, rid)
    _check(page, "restriction-verified", width)
    page.click("button:has-text('Approve')")
    # The demo's rule for restrictions wants two staff members; a second officer approves.
    page.wait_for_url("**done=approval-recorded")
    assert "two staff approvals" in page.inner_text("main")
    assert "approved by officer@console.test" in page.inner_text("main")
    second = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in(second, live.url, SECOND)
    _open(second, live, rid)
    second.click("button:has-text('Approve')")
    second.wait_for_url("**done=approve")
    second.context.close()
    _open(page, live, rid)
    # Set at once; the systems without a connector each got a task, shown on the page.
    assert live.restricted(account)
    assert live.get(rid).status == "in_progress"
    tasks = page.inner_text("#tasks-h")
    assert "2 open of 2" in tasks, tasks
    main = page.inner_text("main")
    assert "Resend the owner's link" in main and "Manual task opened" in main
    _check(page, "restriction-tasks-open", width)

    owner = context.new_page()  # the owners, from the links in their mail
    for url in live.task_links(rid):
        owner.goto(url)
        owner.check("#o-none")
        owner.fill("#note", "no tickets for this person")
        owner.click("button[type=submit]")
        owner.wait_for_selector("text=Thank you")
    owner.close()
    _open(page, live, rid)
    assert live.get(rid).status == "completed"
    assert "0 open of 2" in page.inner_text("#tasks-h")
    main = page.inner_text("main")
    assert main.count("nothing found") >= 2 and "no tickets for this person" in main
    assert "Manual task closed by its owner" in main and "in force" in main
    _check(page, "restriction-in-force", width)

    page.click("summary:has-text('Lift the restriction')")
    page.fill("#lift-reason", "The accuracy of your address has been verified.")
    page.click("text=Show the letter")
    page.wait_for_selector("#lift-letter pre.letter")
    letter = page.inner_text("#lift-letter")
    assert "is told first" in letter and "before the restriction is lifted" in letter
    assert "The accuracy of your address has been verified." in letter
    assert live.restricted(account)  # nothing happened yet
    _check(page, "restriction-lift-letter", width)
    page.click("button:has-text('Send the letter and lift')")
    page.wait_for_url("**done=lift")
    assert "The person was told first" in page.inner_text("main")
    assert not live.restricted(account)
    assert (live.get(rid).result or {})["rights"]["lifted_at"]
    _check(page, "restriction-lifted", width)
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_objection_decided_then_done_by_hand_and_reopened(
    browser: Any, live_demo: LiveDemo, width: int
) -> None:
    live = live_demo
    _account, email = live.customer(3 if width == 390 else 4)
    pending = [
        {"key": FRAUD, "title": "Prevent payment fraud", "marketing": False, "reason": ""},
        {"key": SECURITY, "title": "Detect attacks", "marketing": False, "reason": ""},
    ]
    rights = {"handler": "objection", "stopped": [], "continued": [], "pending": pending}
    rid = live.add_request(email, "objection", result={"type": "objection", "rights": rights})
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, live.url)
    _open(page, live, rid)
    assert "Decision needed" in page.inner_text("#objection-h")
    assert page.locator("button:has-text('Approve')").count() == 0
    _check(page, "objection-pending", width)
    page.select_option("#ob-d-1", "uphold")
    page.select_option("#ob-d-2", "refuse")
    page.fill("#ob-r-2", "short")
    page.click("text=Record the decisions")
    page.wait_for_selector(".alert")
    assert "compelling legitimate grounds" in page.inner_text(".alert")
    _check(page, "objection-error", width)
    grounds = "Sign-in logs protect every customer's mailbox against account takeover."
    page.fill("#ob-r-2", grounds)
    page.click("text=Record the decisions")
    page.wait_for_url("**done=objection")
    main = page.inner_text("main")
    assert f"Detect attacks: {grounds}" in main and "Decision needed" not in main
    assert live.get(rid).status == "in_progress"  # the manual systems' owners are asked
    _check(page, "objection-decided", width)

    # The owners do not answer: staff close it by hand, then reopen it.
    page.click("summary:has-text('Mark done by hand')")
    assert "still open" in page.inner_text("main")
    page.fill("#done-note", "The help desk team confirmed by phone: no tickets.")
    page.click("button:has-text('Mark done')")
    page.wait_for_url("**done=done-by-hand")
    assert live.get(rid).status == "completed"
    assert "Marked done by hand" in page.inner_text("main")
    _check(page, "done-by-hand", width)
    page.click("summary:has-text('Reopen')")
    page.fill("#reopen-reason", "The person wrote again about the help desk.")
    page.click("button:has-text('Reopen the request')")
    page.wait_for_url("**done=reopen")
    assert live.get(rid).status == "approved"
    assert "reopened: The person wrote again" in page.inner_text("main")
    _check(page, "reopened", width)
    context.close()
