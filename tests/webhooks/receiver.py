"""A real HTTP receiver in a thread: records what it gets, answers 500 while told to fail."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.tls import self_signed


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Where it listens, what it received, and how many requests it still fails."""

    url: str
    received: list[Received] = field(default_factory=list)
    failures: int = 0
    attempts: int = 0
    delay: float = 0.0  # seconds it takes to answer, as a slow receiver

    def wait(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` deliveries, waiting for them up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"got {len(self.received)} of {count}"
        return self.received[:count]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A ``http.server`` on a free local port for one test."""
    yield from _serve()


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[TlsReceiver]:
    """The same over HTTPS, with a certificate signed by itself (``cert``)."""
    cert, key = self_signed(tmp_path)
    for state in _serve((cert, key)):
        yield TlsReceiver(state, cert)


@dataclass
class TlsReceiver:
    """An HTTPS receiver and the certificate it presents."""

    state: Receiver
    cert: Path


def _serve(tls: tuple[Path, Path] | None = None) -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.attempts += 1
            time.sleep(state.delay)
            if state.failures > 0:
                state.failures -= 1
                self.send_response(500)
                self.end_headers()
                return
            state.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
