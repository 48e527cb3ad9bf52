"""Every public page in German says nothing in English: each page is rendered in English and in
German, and any word of the English page that shows up unchanged on the German one is a leftover
unless it is a name (the data map's own names, brands, addresses) or a word both languages share.

The pages include what only a person's way through them shows: the preference center of a
signed-in person, the request form with errors, a wrong code, a rate-limited form (429), an
expired link, an error page, and the cookie banner's texts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from babel import Locale

from ombud import clock, i18n
from ombud.consent import preferences
from ombud.datamap.loader import load_datamap
from tests.fixtures.browser import axe_violations, chromium, horizontal_overflow
from tests.web.live import DEMO_MAP, PERSON, Site, links, running_site
from tests.web.test_public_pages import TAXONOMY_KEY

LIMIT = 3  # mails per address per hour on this site: the fourth code asked for is a 429
WORD = re.compile(r"[A-Za-zÄÖÜäöüß][A-Za-zÄÖÜäöüß'\u2019]+")
# Words German and English share (or that are German too), and technical names.
SHARED = {
    "and", "art", "cookie", "cookies", "data", "dpf", "dsgvo", "eu", "gdpr", "gmbh", "hash",
    "hsts", "https", "in", "inc", "ip", "iso", "ltd", "mail", "marketing", "name", "newsletter",
    "nr", "ok", "online", "pdf", "pixel", "privacy", "sha", "sms", "spam", "support", "tls",
    "uk", "url", "us", "usa", "web", "www", "ccpa", "cpra", "fadp", "age", "ags", "iban",
    "opendsr", "json", "api", "gpc", "dnt", "id", "framework", "shield", "extension",
    "service", "text", "status", "team", "bug", "bounty", "security", "txt", "hrb", "e",
    "ms", "it", "sub", "processors", "helpdesk", "chargebacks", "am", "an", "so",
    "link", "code", "version", "browser", "format", "person", "problem", "apps", "software",
    "feed", "atom", "passphrase", "utc", "http", "radar", "sepa", "ombud", "center", "signal",
    "global", "control",  # Global Privacy Control, a standard's name
    "banner", "cross", "site", "forgery",  # Cookie-Banner, Cross-Site-Request-Forgery
    "form",  # "in verschlüsselter Form"
    "abs", "abgabenordnung", "hgb",  # German law cited as German law names it
    "deutsch", "english",  # each language named in its own words
    # US states are named as the form's list has them: Babel has no names of subdivisions.
    "california",
}  # fmt: skip


def _names() -> set[str]:
    """Every word of the demo map's names, addresses and web addresses: not translated."""
    datamap = load_datamap(DEMO_MAP)
    raw = datamap.model_dump_json()
    found: set[str] = set()
    names = re.findall(
        r'"(?:name|legal_name|street|city|email|url|website|imprint|terms|logo_alt|'
        r'country_name|region|registration)":"([^"]*)"',
        raw,
    )
    for value in names:
        found |= {w.lower() for w in WORD.findall(value)}
    # Country names German spells as English does (Malta, Isle of Man).
    for value in Locale.parse("de").territories.values():
        found |= {w.lower() for w in WORD.findall(str(value))}
    return found | {w.lower() for w in WORD.findall(PERSON)} | _kept()


def _kept() -> set[str]:
    """Words a translator kept on purpose: in both the English and the German of one entry
    of the German catalog or of the map's translations (a statute's link title, a law's name)."""
    pairs = [
        (str(m.id), str(m.string))
        for m in i18n.catalog("de")
        if m.id and isinstance(m.id, str) and m.string
    ]
    pairs += list(load_datamap(DEMO_MAP).translations.get("de", {}).items())
    kept: set[str] = set()
    for english, german in pairs:
        kept |= {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", english))} & {
            w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", german))
        }
    return kept


class _Text(HTMLParser):
    """What a person reads or hears on a page: text, and alt, title, aria-label, placeholder;
    not what an element marks as another language (``lang``: a quoted record, a language's
    own name in the switcher)."""

    SAID = ("alt", "title", "aria-label", "placeholder")
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language
        self.parts: list[str] = []
        self._open: list[bool] = []  # per open element: is it (inside) skipped text?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        inside = bool(self._open and self._open[-1])
        foreign = any(k == "lang" and v != self.language for k, v in attrs)
        skip = inside or foreign or tag in ("script", "style")
        if not skip:
            self.parts += [v for k, v in attrs if k in self.SAID and v]
        if tag not in self.VOID:
            self._open.append(skip)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if not (self._open and self._open[-1]):
            self.parts.append(data)


PLACEHOLDER = re.compile(r"\{[^}]*\}|%\([^)]*\)[sd]|<[^>]*>")
# Names of cookies, tokens and ids (ombud_prefs, a1B2c3): identifiers, not words.
IDENT = re.compile(r"\S*(?:_|\d[A-Za-z]|[A-Za-z]\d)\S*")
HEX = re.compile(r"\b[0-9a-f][0-9a-f-]{7,}\b")  # hashes, receipt ids


def said(html: str, language: str) -> str:
    """The readable text of a page in ``language`` (parts marked as another left out)."""
    parser = _Text(language)
    parser.feed(html)
    return " ".join(parser.parts)


def leftovers(english: str, german: str, allowed: set[str]) -> list[str]:
    """Words of the English text that the German one repeats unchanged (names aside)."""
    english_words = {w.lower() for w in WORD.findall(IDENT.sub(" ", HEX.sub(" ", english)))}
    german_words = {w.lower() for w in WORD.findall(IDENT.sub(" ", HEX.sub(" ", german)))}
    return sorted(w for w in english_words & german_words if len(w) > 1 and w not in allowed)


class Visitor:
    """One browser's way through the site (its own cookies) in one language."""

    def __init__(self, site: Site, language: str) -> None:
        self.site = site
        self.client = httpx.Client(
            base_url=site.url,
            headers={
                "Accept-Language": language,
                "Accept": "text/html",
                "Origin": site.url,
            },
            follow_redirects=True,
            timeout=30,
        )

    def get(self, path: str, status: int = 200) -> str:
        res = self.client.get(path)
        assert res.status_code == status, (path, res.status_code, res.text[:500])
        return res.text

    def post(self, path: str, data: dict[str, Any], status: int = 200) -> str:
        res = self.client.post(path, data=data)
        assert res.status_code == status, (path, res.status_code, res.text[:500])
        return res.text


def _request_page(v: Visitor, address: str) -> str:
    """The code page of a request just made (its address is the page's)."""
    res = v.client.post(
        "/privacy/request", data={"type": "access", "email": address, "country": "DE"}
    )
    assert res.status_code == 200 and "/verify" in str(res.url), res.text[:500]
    return str(res.url.path)


def _expired_link(site: Site) -> str:
    """A preference link made long ago."""
    before = clock._source
    long_ago = clock.utcnow() - timedelta(days=400)
    clock.set_clock(lambda: long_ago)
    try:
        with site.session() as s:
            url = preferences.preference_link(s, PERSON, site.settings)
            s.commit()
    finally:
        clock.set_clock(before)
    return "/" + url.split("/", 3)[3]


def pages(site: Site, language: str) -> Iterator[tuple[str, str]]:
    """(name, text) of every public page in ``language``, the person's way included."""
    v = Visitor(site, language)
    try:
        for path in (
            "/",
            "/privacy/statement",
            "/privacy/sub-processors",
            "/privacy/notice-at-collection",
            "/privacy/subscribe",
            "/privacy/request",
            "/privacy/complaint",
        ):
            yield path, v.get(path)
        yield "error page", v.get("/privacy/no-such-page", 404)
        yield "subscribe with errors", v.post("/privacy/subscribe", {"email": PERSON}, 422)
        yield "request form with errors", v.post("/privacy/request", {"type": "access"}, 422)
        yield "complaint with errors", v.post("/privacy/complaint", {"about": "request"}, 422)
        complaint = {"about": "general", "email": f"c-{language}@example.test", "text": "Slow."}
        yield "complaint received", v.post("/privacy/complaint", complaint, 200)
        verify = _request_page(v, f"wrong-{language}@example.test")
        yield "request code", v.get(verify)
        yield "request wrong code", v.post(verify, {"code": "000000"}, 400)
        yield "expired link", v.get(_expired_link(site), 410)
        yield "preference center", v.get(links(site)["preference link"])
        made = links(site)
        for name in ("receipt", "confirm", "unsubscribe"):
            yield name, v.get(made[name])
        address = f"limit-{language}@example.com"
        for _ in range(LIMIT):
            v.post("/privacy/preferences/code", {"email": address})
        yield "429 page", v.post("/privacy/preferences/code", {"email": address}, 429)
        banner = v.client.get(f"/privacy/consent/config?lang={language}").json()
        yield "banner texts", " ".join(_strings(banner))
    finally:
        v.client.close()


def _strings(value: Any) -> Iterator[str]:
    """Every string a JSON answer holds that a visitor reads (not keys, ids or addresses)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key not in ("key", "id", "name", "domain", "provider", "url", "lang", "version"):
                yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str) and " " in value:
        yield value


@pytest.fixture(scope="module")
def german_site(store_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo company's pages, with a low mail limit per address."""
    folder = tmp_path_factory.mktemp("german")
    with running_site(store_kind, folder, "ombud_german", rate_limit_per_identity=LIMIT) as result:
        yield result


def test_every_public_page_in_german_has_no_english_left(german_site: Site) -> None:
    english = dict(pages(german_site, "en"))
    german = dict(pages(german_site, "de"))
    assert english.keys() == german.keys()
    allowed = SHARED | _names()
    found: dict[str, list[str]] = {}
    for name, html in german.items():
        text = said(html, "de") if "<" in html else html
        source = english[name]
        words = leftovers(said(source, "en") if "<" in source else source, text, allowed)
        keys = TAXONOMY_KEY.findall(text)
        if words or keys:
            found[name] = words + keys
    assert found == {}


def test_the_check_finds_an_english_sentence_left_in_a_german_page() -> None:
    english = "<p>Your request is received.</p><p>Postlicht Mail</p>"
    german = "<p>Ihre Anfrage ist eingegangen.</p><p>Postlicht Mail</p><p>is received</p>"
    assert leftovers(said(english, "en"), said(german, "de"), {"postlicht", "mail"}) == [
        "is",
        "received",
    ]
    assert said("<img alt='Logo'><script>var x</script>x", "de") == "Logo x"
    # A part marked as English (a quoted record) is not a leftover; the page's own language is.
    marked = "<p lang='en'>Your consent</p><aside lang='de'>Ihre Einwilligung</aside>"
    assert said(marked, "de") == "Ihre Einwilligung"


@pytest.mark.parametrize("width", (390, 1280))
def test_german_pages_only_a_visit_reaches_fit_and_pass_axe(german_site: Site, width: int) -> None:
    """The pages test_public_pages does not open: notice at collection, an error page, an
    expired link, a 429; in German, at phone and desktop width."""
    problems: list[str] = []
    with chromium() as browser:
        context = browser.new_context(
            viewport={"width": width, "height": 800},
            extra_http_headers={"Accept-Language": "de"},
        )
        page = context.new_page()

        def look(name: str, root: str = "html") -> None:
            assert page.locator(root).first.get_attribute("lang") == "de", name
            over = horizontal_overflow(page)
            if over:
                problems.append(f"{name} @{width}: {over}px sideways scrolling")
            problems.extend(
                f"{name} @{width}: axe {v['id']}: {v['nodes'][:2]}"
                for v in axe_violations(page, root)
            )

        try:
            # The notice at collection is a fragment for a company's own page: its root says
            # its language, and axe checks the fragment.
            res = page.goto(german_site.url + "/privacy/notice-at-collection")
            assert res is not None and res.status == 200
            look("notice at collection", "aside")
            for name, path, status in (
                ("error page", "/privacy/no-such-page", 404),
                ("expired link", _expired_link(german_site), 410),
            ):
                res = page.goto(german_site.url + path)
                assert res is not None and res.status == status, name
                look(name)
            address = f"browser-{width}@example.com"
            for _ in range(LIMIT + 1):
                page.goto(german_site.url + "/privacy/preferences")
                page.fill("#email", address)
                page.click("form[action='/privacy/preferences/code'] button")
                page.wait_for_load_state()
            assert "Minuten" in page.locator("[role=alert]").inner_text()
            look("429 page")
        finally:
            context.close()
    assert problems == []
