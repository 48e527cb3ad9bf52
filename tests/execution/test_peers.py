"""Server processes on one PostgreSQL store wake each other for an approval of more than a batch:
through real LISTEN/NOTIFY, surviving a dropped listener connection, never for their own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text

from ombud.config import Settings
from ombud.execution.peers import PeerLink
from ombud.execution.worker import BackgroundRunner
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.execution.test_worker import _apply_reachable_shop_map


class Counter:
    """Calls counted, and waited for."""

    def __init__(self) -> None:
        self.calls = 0
        self._changed = threading.Condition()

    def __call__(self) -> None:
        with self._changed:
            self.calls += 1
            self._changed.notify_all()

    def reaches(self, n: int, timeout: float = 20.0) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self.calls >= n, timeout)


def _pg(store: tuple[Settings, Engine]) -> Engine:
    _settings, engine = store
    if engine.dialect.name != "postgresql":
        pytest.skip("notifications are PostgreSQL's (SQLite runs one server process)")
    return engine


@pytest.fixture
def links(store: tuple[Settings, Engine]) -> Iterator[Callable[[], tuple[PeerLink, Counter]]]:
    engine = _pg(store)
    made: list[PeerLink] = []

    def make() -> tuple[PeerLink, Counter]:
        counter = Counter()
        link = PeerLink(engine, counter)
        link.start()
        made.append(link)
        assert link.listening.wait(20), "the listener did not connect"
        return link, counter

    yield make
    for link in made:
        link.stop()


def test_an_announcement_wakes_the_others_not_the_sender(
    links: Callable[[], tuple[PeerLink, Counter]],
) -> None:
    a, a_woken = links()
    b, b_woken = links()
    a.announce()
    assert b_woken.reaches(1)
    b.announce()
    assert a_woken.reaches(1)
    # Each heard the other once; their own announcements were no work for them.
    a.announce()
    assert b_woken.reaches(2)
    assert (a_woken.calls, b_woken.calls) == (1, 2)


def test_a_listener_whose_connection_dies_reconnects_and_looks_for_work(
    links: Callable[[], tuple[PeerLink, Counter]],
    store: tuple[Settings, Engine],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(PeerLink, "RETRY_SECONDS", 0.1)
    a, _ = links()
    b, b_woken = links()
    _settings, engine = store
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
        ).all()
    assert len(killed) == 2
    # What was announced while it was away is lost: it looks for work once back.
    assert b_woken.reaches(1)
    assert b.listening.wait(20)
    a.announce()
    assert b_woken.reaches(2)


def test_stopping_ends_the_listener(links: Callable[[], tuple[PeerLink, Counter]]) -> None:
    link, _ = links()
    thread = link._thread
    assert thread is not None and thread.is_alive()
    link.stop()
    assert not thread.is_alive() and not link.listening.is_set()


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_an_approval_of_more_than_a_batch_is_run_by_the_other_server_too(
    target: Target, store: tuple[Settings, Engine]
) -> None:
    settings, engine = store
    _pg(store)
    # Neither looks for work on its own again within the test: only a wake-up runs anything.
    settings = settings.model_copy(update={"execution_interval_seconds": 600, "execution_batch": 2})
    _apply_reachable_shop_map(engine)
    other = BackgroundRunner(engine, settings)
    other.start()
    approving = BackgroundRunner(engine, settings)  # its own loop is not started
    try:
        assert other._peers is not None and other._peers.listening.wait(20)
        while other._scanned_at == 0.0:  # its first look, at start, has begun
            time.sleep(0.05)
        time.sleep(0.5)  # and found nothing
        few = [add_request(engine, "access", 1), add_request(engine, "erasure", 3)]
        approving.wake(few)  # a batch: the approving server runs it alone
        time.sleep(1.5)
        assert {status_of(engine, rid).status for rid in few} == {"approved"}
        many = [add_request(engine, "access", 2), add_request(engine, "erasure", 4)]
        approving.wake([*few, *many])  # more than a batch: the other server joins
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if {status_of(engine, rid).status for rid in few + many} == {"completed"}:
                break
            time.sleep(0.1)
        assert {status_of(engine, rid).status for rid in few + many} == {"completed"}
    finally:
        other.stop()
        approving.stop()
