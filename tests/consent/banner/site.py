"""A small company website for the banner tests, on its own origin: one page with the banner
tag, an analytics script and an advertising pixel held back by the banner, a strict CSP, and
one undeclared cookie the page sets itself (the scanner must find it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Shop</title>
<script src="{ombud}/privacy/consent.js" defer></script>
<script type="text/plain" data-category="analytics" data-src="/analytics.js"></script>
<script type="text/plain" data-category="advertising" src="/ad.js"></script>
</head>
<body>
<header><a href="/">Acme Shop</a></header>
<main>
<h1>Welcome to Acme Shop</h1>
<p>Fine things for fine people. <a href="/other">Another page</a></p>
<p>{filler}</p>
</main>
</body>
</html>
"""
ANALYTICS_JS = (
    'document.cookie = "_pa_id=pa123; Max-Age=3600; Path=/";\n'
    "window.analyticsRuns = (window.analyticsRuns || 0) + 1;\n"
)
AD_JS = 'document.cookie = "_adpx=1; Max-Age=3600; Path=/";\nwindow.adRan = true;\n'
UNDECLARED = "tracker_x"


def csp(ombud: str) -> str:
    """A strict policy: nothing inline, scripts and styles only from the site and Ombud."""
    return (
        f"default-src 'self'; script-src 'self' {ombud}; style-src 'self' {ombud}; "
        f"connect-src 'self' {ombud}; img-src 'self'; object-src 'none'; base-uri 'none'"
    )


def handler(ombud: str) -> type[BaseHTTPRequestHandler]:
    """A request handler serving the site for the Ombud server at ``ombud``."""

    class Site(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            cookies: list[str] = []
            if path in ("/", "/other"):
                lang = "de" if "lang=de" in self.path else "en"
                body = PAGE.format(ombud=ombud, lang=lang, filler="Lorem ipsum " * 40).encode()
                ctype = "text/html; charset=utf-8"
                cookies = ["site_session=s1; Path=/"]
                if "clean" not in self.path:
                    cookies.append(f"{UNDECLARED}=t1; Max-Age=86400; Path=/")
            elif path == "/analytics.js":
                body, ctype = ANALYTICS_JS.encode(), "text/javascript"
            elif path == "/ad.js":
                body, ctype = AD_JS.encode(), "text/javascript"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", csp(ombud))
            self.send_header("Cache-Control", "no-store")
            for c in cookies:
                self.send_header("Set-Cookie", c)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Site


@contextmanager
def serve_site(ombud: str) -> Iterator[str]:
    """Serve the site on localhost (another origin than Ombud's 127.0.0.1); yield its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(ombud))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
