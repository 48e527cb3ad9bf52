"""A real HTTP receiver in a thread: records what it gets, answers 500 while told to fail."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


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
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.attempts += 1
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
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
