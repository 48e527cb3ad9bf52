"""Checking a website against its data map: load it in headless Chromium with no consent,
after accepting all and after rejecting all; list every cookie and storage key with who set
it and for how long; report undeclared ones, ones set without consent and stale entries."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ombud.datamap.schemas import Cookie, CookieCategory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
RUNS = ("no consent", "accept all", "reject all")
# Buttons of Ombud's banner; another consent manager is clicked with --accept/--reject.
ACCEPT = "#ombud-consent [data-a=all]"
REJECT = "#ombud-consent [data-a=none]"
# Records which script wrote each cookie through document.cookie (the "by whom").
WATCH_SCRIPT = """(() => {
  const d = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  const seen = window.__ombudScan = {};
  Object.defineProperty(Document.prototype, 'cookie', {
    configurable: true, get() { return d.get.call(this); },
    set(v) {
      const urls = (new Error().stack || '').match(/https?:\\/\\/[^\\s)]+?(?=:\\d+:\\d+)/g) || [];
      seen[String(v).split('=')[0].trim()] = urls.length ? urls[urls.length - 1] : 'inline';
      d.set.call(this, v);
    }
  });
})();"""


class ScanError(Exception):
    """The page could not be scanned (browser missing, page unreachable)."""


@dataclass
class Found:
    """A cookie or storage key seen on the site."""

    name: str
    kind: str  # cookie, local_storage, session_storage
    domain: str
    set_by: str
    lifetime: str
    runs: list[str] = field(default_factory=list)
    declared: Cookie | None = None


@dataclass
class Report:
    """What the scan saw and what is wrong."""

    url: str
    found: list[Found]
    undeclared: list[Found]
    before_consent: list[Found]
    after_reject: list[Found]
    never_seen: list[Cookie]

    @property
    def violations(self) -> int:
        """Undeclared items plus items set without consent; stale entries are warnings."""
        return len(self.undeclared) + len(self.before_consent) + len(self.after_reject)


def _matches(declared: Cookie, name: str) -> bool:
    if declared.name.endswith("*"):
        return name.startswith(declared.name[:-1])
    return declared.name == name


def lookup(declared: list[Cookie], name: str) -> Cookie | None:
    """The data map entry declaring ``name`` (a trailing ``*`` matches a prefix)."""
    return next((d for d in declared if _matches(d, name)), None)


def _lifetime(expires: float, now: float) -> str:
    if expires is None or expires < 0:
        return "session"
    hours = max(0.0, (expires - now) / 3600)
    return f"{round(hours / 24)} days" if hours >= 23.5 else f"{hours:.1f} hours"


def compare(url: str, seen: dict[str, Found], declared: list[Cookie], own: set[str]) -> Report:
    """Sort what was seen into the report's lists."""
    found = sorted(seen.values(), key=lambda f: (f.kind, f.name))
    for f in found:
        f.declared = lookup(declared, f.name)
    necessary = CookieCategory.strictly_necessary

    def consented(f: Found) -> bool:
        return f.declared is not None and f.declared.category != necessary

    undeclared = [f for f in found if f.declared is None]
    before = [f for f in found if "no consent" in f.runs and (f.declared is None or consented(f))]
    after_reject = [f for f in found if "reject all" in f.runs and consented(f)]
    never = [
        d
        for d in declared
        if d.name not in own
        and d.kind in ("cookie", "local_storage")
        and not any(_matches(d, f.name) for f in found)
    ]
    return Report(url, found, undeclared, before, after_reject, never)


def _collect(page: Any, context: Any, run: str, host: str, seen: dict[str, Found]) -> None:
    setters: dict[str, str] = page.evaluate("() => window.__ombudScan || {}")
    now = time.time()
    for c in context.cookies():
        key = f"cookie:{c['name']}:{c['domain']}"
        domain = c["domain"].lstrip(".")
        by = setters.get(c["name"]) or ("response from " + domain)
        party = "" if host == domain or host.endswith("." + domain) else " (third party)"
        item = seen.setdefault(
            key, Found(c["name"], "cookie", domain + party, by, _lifetime(c["expires"], now))
        )
        if run not in item.runs:
            item.runs.append(run)
    for kind in ("local_storage", "session_storage"):
        store = "localStorage" if kind == "local_storage" else "sessionStorage"
        keys: list[str] = page.evaluate(f"() => Object.keys(window.{store})")
        for name in keys:
            item = seen.setdefault(f"{kind}:{name}", Found(name, kind, host, "script", "-"))
            if run not in item.runs:
                item.runs.append(run)


def scan(
    url: str,
    declared: list[Cookie],
    own: set[str],
    *,
    chromium: str = CHROMIUM,
    accept: str = ACCEPT,
    reject: str = REJECT,
    wait_ms: int = 1500,
) -> Report:
    """Load ``url`` three times in fresh profiles and compare with the declarations."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ScanError("the scanner needs Playwright: pip install 'ombud[scan]'") from None
    if not Path(chromium).exists():
        raise ScanError(f"no Chromium at {chromium}; install it (apt-get install chromium)")
    host = urlsplit(url).hostname or ""
    seen: dict[str, Found] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=list(CHROMIUM_ARGS))
        try:
            for run in RUNS:
                context = browser.new_context()
                context.add_init_script(WATCH_SCRIPT)
                page = context.new_page()
                try:
                    page.goto(url, wait_until="networkidle")
                    if run != "no consent":
                        button = page.locator(accept if run == "accept all" else reject)
                        button.first.click(timeout=10_000)
                        page.wait_for_load_state("networkidle")
                    page.wait_for_timeout(wait_ms)
                    _collect(page, context, run, host, seen)
                except PlaywrightError as exc:
                    raise ScanError(f"{run}: {exc.message.splitlines()[0]}") from None
                finally:
                    context.close()
        finally:
            browser.close()
    return compare(url, seen, declared, own)
