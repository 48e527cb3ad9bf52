"""Every public page in Chromium at phone (390 px) and desktop (1280 px) width: nothing
scrolls sideways, axe-core finds no violation, no taxonomy key is shown, and the page is the
company's own (its name, its colours, a link back to its site).

Set OMBUD_TEST_SCREENSHOTS=<folder> to keep a full-page screenshot of each."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.browser import axe_violations, chromium, horizontal_overflow
from tests.web.live import PERSON, Site, links, site

__all__ = ["site"]

WIDTHS = (390, 1280)
# fideslang keys (data categories, uses, subjects) as they would leak into a page's text.
TAXONOMY_KEY = re.compile(
    r"\b(?:user|system|essential|marketing|analytics|functional|personalize|"
    r"third_party_sharing|collect|improve|finance|employment|provide|sales|customer|employee|"
    r"consumer|anonymous_user)\.[a-z_]+\b"
)
SHOTS = os.environ.get("OMBUD_TEST_SCREENSHOTS")
STATIC = (
    "/",
    "/privacy/statement",
    "/privacy/statement/versions",
    "/privacy/statement/versions/1",
    "/privacy/sub-processors",
    "/privacy/request",
    "/privacy/preferences",
    "/privacy/subscribe",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless."""
    with chromium() as b:
        yield b


def _problems(page: Any, name: str, width: str) -> list[str]:
    """What is wrong with the page open now."""
    found: list[str] = []
    if SHOTS:
        shot = Path(SHOTS) / f"{re.sub(r'[^a-z0-9]+', '-', name.lower())}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
    over = horizontal_overflow(page)
    if over:
        found.append(f"{name} @{width}: {over}px sideways scrolling")
    for violation in axe_violations(page):
        found.append(f"{name} @{width}: axe {violation['id']}: {violation['nodes'][:2]}")
    text = page.evaluate(
        "() => { const c = document.documentElement.cloneNode(true);"
        " c.querySelectorAll('script,style').forEach(e => e.remove()); return c.textContent; }"
    )
    keys = sorted(set(TAXONOMY_KEY.findall(text)))
    if keys:
        found.append(f"{name} @{width}: taxonomy keys shown: {keys}")
    brand = page.locator("header.site .brand")
    if "Postlicht Mail" not in (
        brand.inner_text() + (brand.locator("img").get_attribute("alt") or "")
        if brand.locator("img").count()
        else brand.inner_text()
    ):
        found.append(f"{name} @{width}: the header does not name the company")
    if page.locator('footer.site a[href="https://postlicht.example"]').count() != 1:
        found.append(f"{name} @{width}: no link back to the company's site")
    return found


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("width", WIDTHS)
def test_every_public_page_fits_passes_axe_and_shows_no_keys(
    site: Site, browser: Any, width: int, language: str
) -> None:
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        extra_http_headers={"Accept-Language": f"{language},en;q=0.5"},
    )
    page = context.new_page()
    problems: list[str] = []
    tag = f"{width}-{language}"
    made = links(site)
    try:
        for path in STATIC:
            assert page.goto(site.url + path).status == 200, path
            assert page.locator("html").get_attribute("lang") == language, path
            problems += _problems(page, path, tag)
        for name in ("receipt", "confirm", "unsubscribe"):
            assert page.goto(site.url + made[name]).status == 200, name
            problems += _problems(page, name, tag)

        # The request form, sent empty: every error next to its field.
        page.goto(site.url + "/privacy/request")
        page.click("form[action='/privacy/request'] button")
        page.wait_for_selector("#email-error")
        problems += _problems(page, "request form with errors", tag)
        # Filled in: the code page, a wrong code, then the right one.
        page.select_option("#type", "access")
        page.fill("#email", f"w{width}{language}@example.test")
        page.select_option("#country", "US-CA")
        page.click("form[action='/privacy/request'] button")
        page.wait_for_selector("#code")
        problems += _problems(page, "request code", tag)
        page.fill("#code", "000000")
        page.click("form[action$='/verify'] button")
        page.wait_for_selector("#code-error")
        problems += _problems(page, "request wrong code", tag)
        page.fill("#code", site.code_for(f"w{width}{language}@example.test"))
        page.click("form[action$='/verify'] button")
        page.wait_for_selector("main p[role=status]")
        problems += _problems(page, "request confirmed", tag)

        # Subscribe with nothing ticked, then the preference center signed in.
        page.goto(site.url + "/privacy/subscribe")
        page.fill("#email", PERSON)
        page.click("form[action='/privacy/subscribe'] button")
        page.wait_for_selector("#purpose-error")
        problems += _problems(page, "subscribe with errors", tag)
        page.goto(site.url + made["preference link"])
        page.wait_for_selector("section.consent-purpose")
        page.locator("details summary").last.click()  # the receipts, unfolded
        problems += _problems(page, "preference center", tag)
    finally:
        context.close()
    assert problems == []


def test_preference_center_shows_each_purpose_once_in_plain_words(site: Site, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(site.url + links(site)["preference link"])
        page.wait_for_selector("text=Signed in as")
        titles = page.locator("section.consent-purpose h2").all_inner_texts()
        assert len(titles) == len(set(titles))
        # The newsletter's use (marketing.communications.email) is chosen through the
        # subscriptions that serve it, not offered a second time on its own.
        assert "Send the newsletter and product news" not in titles
        assert {"Postlicht newsletter", "Product updates"} <= set(titles)
        # Receipts are folded away until asked for.
        history = page.locator("#decisions + details")
        assert history.get_attribute("open") is None
        assert not page.get_by_role("link", name=re.compile("^Receipt")).first.is_visible()
        history.locator("summary").click()
        assert page.get_by_role("link", name=re.compile("^Receipt")).first.is_visible()
    finally:
        context.close()


def test_brand_colours_come_from_brand_css(site: Site, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(site.url + "/privacy/statement")
        header = page.evaluate(
            "getComputedStyle(document.querySelector('header.site')).backgroundColor"
        )
        button_page = page.goto(site.url + "/privacy/request")
        assert button_page is not None
        button = page.evaluate(
            "getComputedStyle(document.querySelector('main button')).backgroundColor"
        )
        assert header == "rgb(18, 64, 60)"  # #12403c
        assert button == "rgb(11, 110, 102)"  # #0b6e66
        assert page.locator("header.site img[alt='Postlicht Mail']").count() == 1
    finally:
        context.close()


def test_language_switcher_follows_accept_language_and_keeps_a_choice(
    site: Site, browser: Any
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 800}, extra_http_headers={"Accept-Language": "de-DE"}
    )
    page = context.new_page()
    try:
        page.goto(site.url + "/privacy/request")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.locator("h1").inner_text() == "Datenschutzanfrage stellen"
        switcher = page.get_by_role("navigation", name="Sprache")
        assert switcher.get_by_role("link", name="Deutsch").get_attribute("aria-current") == "true"
        # The form's places are named in German too.
        assert page.locator("#country option[value='DE']").inner_text() == "Deutschland"
        switcher.get_by_role("link", name="English").click()
        page.wait_for_selector("html[lang=en]")
        assert page.locator("h1").inner_text() == "Make a privacy request"
        # The choice holds on the next page, against the browser's German.
        page.goto(site.url + "/privacy/sub-processors")
        assert page.locator("h1").inner_text() == "Our sub-processors"
        cookie = next(c for c in context.cookies() if c["name"] == "ombud_lang")
        assert cookie["value"] == "en" and cookie["httpOnly"]
        # Errors in German are German sentences next to their fields.
        page.goto(site.url + "/privacy/request?lang=de")
        page.click("form[action='/privacy/request'] button")
        page.wait_for_selector("#country-error")
        assert page.locator("#country-error").inner_text().startswith("Wählen Sie, wo Sie wohnen")
        assert (
            page.locator("#email-error").inner_text() == "Bitte geben Sie Ihre E-Mail-Adresse an."
        )
    finally:
        context.close()
