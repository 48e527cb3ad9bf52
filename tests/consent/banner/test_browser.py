"""The banner in Chromium on the test website (another origin, strict CSP): blocking, choices
recorded in the ledger, GPC, re-prompt on a new cookie, keyboard only, axe, no layout shift."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ombud.consent import ledger, repository, repository_subjects
from ombud.datamap.loader import load_datamap
from tests.consent.banner.conftest import BANNER_MAP, Live
from tests.fixtures.browser import axe_violations

GPC_SCRIPT = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"


@pytest.fixture
def page(browser: Any, fresh_map: Live) -> Iterator[Any]:
    """A new browser context (no cookies) on a phone-sized or desktop window."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()


def _open(page: Any, live: Live, path: str = "/") -> None:
    page.goto(live.site + path)
    page.wait_for_function("() => window.ombudConsent && window.ombudConsent.ready")


def _cookies(page: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in page.context.cookies()}


def _banner(page: Any) -> Any:
    return page.locator("#ombud-consent")


def _device_history(live: Live, page: Any) -> list[Any]:
    import json
    from urllib.parse import unquote

    stored = json.loads(unquote(_cookies(page)["ombud_consent"]))
    subject = ledger.make_subject("device", stored["id"], live.settings)
    with live.session() as s:
        return repository_subjects.history_of(s, subject.hash)


def _wait_recorded(page: Any) -> None:
    page.wait_for_function("() => document.cookie.indexOf('%22r%22') > -1")


def test_nothing_runs_before_consent_and_accept_runs_it(page: Any, fresh_map: Live) -> None:
    _open(page, fresh_map)
    assert _banner(page).is_visible()
    assert page.evaluate("window.analyticsRuns") is None
    assert "_pa_id" not in _cookies(page) and "_adpx" not in _cookies(page)
    # Accept, reject and settings are equally prominent: same size, same style.
    boxes = [
        page.get_by_role("button", name=n).bounding_box()
        for n in ("Accept all", "Reject all", "Settings")
    ]
    assert len({(round(b["width"]), round(b["height"])) for b in boxes}) == 1
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.analyticsRuns === 1 && window.adRan === true")
    assert not _banner(page).is_visible()
    assert {"_pa_id", "_adpx"} <= set(_cookies(page))
    _wait_recorded(page)
    history = _device_history(fresh_map, page)
    assert [(r.purpose, r.decision, r.method) for r in history] == [
        ("analytics.reporting", "granted", "banner"),
        ("marketing.advertising", "granted", "banner"),
    ]
    with fresh_map.session() as s:
        notice = repository.latest_notice(s, "cookie_notice")
    assert notice is not None and history[0].notice_version == notice.version
    assert history[0].notice_hash == notice.content_hash
    assert history[0].source_url == fresh_map.site + "/"
    assert "HeadlessChrome" in (history[0].user_agent or "")
    assert history[0].ip == "127.0.0.0/24"
    # Reload: no banner, still granted, the script runs once per page.
    _open(page, fresh_map, "/other")
    assert not _banner(page).is_visible()
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert not [e for e in page.errors if "Content Security Policy" in e]


def test_reject_runs_nothing(page: Any, fresh_map: Live) -> None:
    _open(page, fresh_map)
    page.get_by_role("button", name="Reject all").click()
    _wait_recorded(page)
    _open(page, fresh_map)
    assert not _banner(page).is_visible()
    assert page.evaluate("window.analyticsRuns === undefined && window.adRan === undefined")
    assert not {"_pa_id", "_adpx"} & set(_cookies(page))
    decisions = [r.decision for r in _device_history(fresh_map, page)]
    assert decisions == ["refused", "refused"]


def test_withdrawing_deletes_the_category_cookies(page: Any, fresh_map: Live) -> None:
    _open(page, fresh_map)
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.analyticsRuns === 1")
    changes: list[Any] = []
    page.expose_function("seen", lambda c: changes.append(c))
    page.evaluate("ombudConsent.on('change', c => window.seen(c))")
    page.evaluate("ombudConsent.show()")
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("switch", name="Analytics").uncheck()
    page.get_by_role("button", name="Save choices").click()
    page.wait_for_function("() => document.cookie.indexOf('_pa_id') === -1")
    _wait_recorded(page)
    assert [r.decision for r in _device_history(fresh_map, page)][-2:] == ["withdrawn", "granted"]
    assert changes and changes[-1]["analytics"] is False and changes[-1]["advertising"] is True
    _open(page, fresh_map)
    page.wait_for_function("() => window.adRan === true")
    assert page.evaluate("window.analyticsRuns") is None


def test_gpc_refuses_advertising_without_asking(browser: Any, fresh_map: Live) -> None:
    context = browser.new_context(extra_http_headers={"Sec-GPC": "1"})
    context.add_init_script(GPC_SCRIPT)
    page = context.new_page()
    try:
        _open(page, fresh_map)
        note = page.locator(".oc-gpc")
        assert note.is_visible() and "Advertising" in note.inner_text()
        page.get_by_role("button", name="Settings").click()
        assert page.get_by_role("switch", name="Advertising").is_disabled()
        assert not page.get_by_role("switch", name="Advertising").is_checked()
        page.get_by_role("button", name="Accept all").click()
        page.wait_for_function("() => window.analyticsRuns === 1")
        assert page.evaluate("window.adRan") is None
        _wait_recorded(page)
        history = _device_history(fresh_map, page)
        ad = [r for r in history if r.purpose == "marketing.advertising"]
        assert [(r.decision, r.evidence["gpc"]) for r in ad] == [("refused", True)]
    finally:
        context.close()


def test_new_cookie_in_the_data_map_asks_again(page: Any, fresh_map: Live) -> None:
    _open(page, fresh_map)
    page.get_by_role("button", name="Accept all").click()
    _wait_recorded(page)
    _open(page, fresh_map)
    assert not _banner(page).is_visible()
    datamap = load_datamap(BANNER_MAP)
    datamap.cookie.append(datamap.cookie[1].model_copy(update={"name": "_pa_ses"}))
    fresh_map.apply(datamap)
    _open(page, fresh_map)
    assert _banner(page).is_visible()
    assert page.evaluate("window.analyticsRuns") is None  # not granted until asked again


def test_expired_choice_asks_again(page: Any, fresh_map: Live) -> None:
    _open(page, fresh_map)
    page.get_by_role("button", name="Reject all").click()
    _wait_recorded(page)
    # A choice made 400 days ago (the default expiry is 365 days).
    page.evaluate(
        "(() => { const m = document.cookie.match(/ombud_consent=([^;]*)/);"
        " const s = JSON.parse(decodeURIComponent(m[1])); s.t -= 400 * 864e5;"
        " document.cookie = 'ombud_consent=' + encodeURIComponent(JSON.stringify(s))"
        " + '; Path=/'; })()"
    )
    _open(page, fresh_map)
    assert _banner(page).is_visible()


def test_google_consent_mode_default_then_update(page: Any, fresh_map: Live) -> None:
    _open(page, fresh_map)
    layer = page.evaluate("window.dataLayer.map(a => [a[0], a[1], a[2].analytics_storage])")
    assert layer == [["consent", "default", "denied"]]
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.dataLayer.length === 2")
    assert page.evaluate("window.dataLayer[1][1]") == "update"
    assert page.evaluate("window.dataLayer[1][2].ad_user_data") == "granted"


def _axe(page: Any) -> list[Any]:
    return axe_violations(page, "#ombud-consent")


@pytest.mark.parametrize("width", [320, 1280])
def test_axe_finds_no_violation_on_either_layer(browser: Any, fresh_map: Live, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 700})
    page = context.new_page()
    try:
        _open(page, fresh_map)
        assert _axe(page) == []
        page.get_by_role("button", name="Settings").click()
        page.locator("details summary").first.click()
        assert _axe(page) == []
        # Nothing wider than the screen, even at 320 px.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    finally:
        context.close()


CLS = (
    "() => new Promise(done => { let s = 0; new PerformanceObserver(l => {"
    " for (const e of l.getEntries()) if (!e.hadRecentInput) s += e.value; })"
    ".observe({type: 'layout-shift', buffered: true}); setTimeout(() => done(s), 300); })"
)


def test_no_layout_shift(page: Any, fresh_map: Live) -> None:
    # Cumulative layout shift as browsers define it (shifts right after input do not count).
    _open(page, fresh_map)
    assert page.evaluate(CLS) == 0
    page.get_by_role("button", name="Settings").click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Reject all").click()
    assert page.evaluate(CLS) == 0


def _focused(page: Any) -> str:
    result: str = page.evaluate(
        "() => { const e = document.activeElement;"
        " return (e.getAttribute('role') || e.tagName.toLowerCase()) + ':' +"
        " (e.labels && e.labels.length ? e.labels[0].textContent : e.textContent).trim(); }"
    )
    return result


def test_keyboard_only_walk_through_both_layers(page: Any, fresh_map: Live) -> None:
    _open(page, fresh_map)
    assert _focused(page).startswith("dialog:")  # focus moves into the dialog
    walk = []
    for _ in range(5):
        page.keyboard.press("Tab")
        walk.append(_focused(page))
    # Focus is trapped: after the last button it comes back to the first control.
    assert walk == [
        "a:Privacy statement",
        "button:Accept all",
        "button:Reject all",
        "button:Settings",
        "a:Privacy statement",
    ]
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == "button:Settings"
    page.keyboard.press("Enter")  # second layer
    assert _focused(page) == "switch:Analytics"
    page.keyboard.press("Space")
    page.keyboard.press("Escape")  # Escape closes the settings layer only
    assert _banner(page).is_visible() and _focused(page) == "button:Settings"
    page.keyboard.press("Enter")
    seen = set()
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.add(_focused(page))
    assert {"switch:Analytics", "switch:Advertising", "button:Save choices"} <= seen
    assert "switch:Strictly necessary" not in seen  # always on: not a control to tab to
    while _focused(page) != "switch:Analytics":
        page.keyboard.press("Tab")
    page.keyboard.press("Space")
    while _focused(page) != "button:Save choices":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => window.analyticsRuns === 1")
    assert page.evaluate("window.adRan") is None
    # Reopen from the floating link by keyboard; Escape closes and focus returns to it.
    page.locator(".oc-fab").focus()
    page.keyboard.press("Enter")
    assert _banner(page).is_visible() and _focused(page).startswith("dialog:")
    page.keyboard.press("Escape")
    assert not _banner(page).is_visible() and _focused(page) == "button:Cookie settings"
