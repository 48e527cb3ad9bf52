"""The Data map pages in Chromium: an officer checks a draft with problems,
makes a valid one current, compares two versions, reads the ROPA and the flow drawing; axe-core
finds nothing and nothing is wider than the window at 390 and 1280 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.browser import VIEWER, LiveConsole, live_console, shot, sign_in
from tests.fixtures.browser import axe_violations, chromium, horizontal_overflow

__all__ = ["live_console"]

VALID = Path(__file__).parents[1] / "datamap" / "maps" / "valid"
WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    with chromium() as b:
        yield b


def _check(page: Any, name: str, width: int) -> None:
    assert axe_violations(page) == [], name
    assert horizontal_overflow(page) == 0, name
    shot(page, f"{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_datamap_pages_in_the_browser(
    browser: Any, live_console: LiveConsole, tmp_path: Path, width: int
) -> None:
    base = live_console.url
    # Every form posts without script (no htmx attributes here); axe-core needs script on.
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    sign_in(page, base)
    page.click("nav >> text=Data map")
    assert "in force" in page.inner_text("main")
    _check(page, "datamap", width)

    broken = tmp_path / "systems.yml"
    broken.write_text(
        (VALID / "systems.yml").read_text(encoding="utf-8").replace("[stripe]", "[strip]"),
        encoding="utf-8",
    )
    others = [VALID / n for n in ("organization.yml", "recipients.yml", "datasets.yml")]
    page.set_input_files("#d-file", [broken, *others])
    page.click("text=Check the draft")
    page.wait_for_selector("text=problem found")
    assert "systems.yml:20:22: recipient 'strip' is not declared; did you mean 'stripe'?" in (
        page.inner_text("main")
    )
    _check(page, "datamap-draft-problems", width)

    page.set_input_files("#d-file", sorted(VALID.glob("*.yml")))
    page.click("text=Check the draft")
    page.wait_for_selector("text=The draft is a valid data map")
    _check(page, "datamap-draft-valid", width)
    page.click("text=Make this draft the data map in force")
    page.wait_for_selector(".notice")
    assert "version 2" in page.inner_text(".notice").lower()
    page.select_option("#c-old", "1")
    page.select_option("#c-new", "2")
    page.click("text=Show the changes")
    page.wait_for_selector("#changes-h")
    assert "Removed system “Web shop” (webshop)." in page.inner_text("main")
    page.click("summary:has-text('Text diff')")
    _check(page, "datamap-diff", width)

    page.click("text=Records of processing")
    page.wait_for_selector("#activities-h")
    _check(page, "datamap-ropa", width)
    page.click("main >> text=Data flows")
    page.wait_for_selector("svg[role=img]")
    assert page.locator("svg text", has_text="Mailhaven web application").count() == 1
    _check(page, "datamap-graph", width)
    box = page.locator("svg[role=img]").bounding_box()
    assert box is not None and box["width"] > (width if width == 390 else 0)  # scrolls in its box
    context.close()


def test_viewer_reads_but_cannot_upload(browser: Any, live_console: LiveConsole) -> None:
    base = live_console.url
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, base, VIEWER)
    page.goto(f"{base}/staff/datamap")
    assert page.locator("#d-file").count() == 0
    assert "needs the privacy officer role" in page.inner_text("main")
    page.goto(f"{base}/staff/datamap/graph")
    assert page.locator("svg[role=img] title").first.text_content() == (
        "Data flows: systems, datasets and recipients"
    )
    page.close()
