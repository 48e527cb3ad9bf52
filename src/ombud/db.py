"""Engine, sessions and the request-scoped ``DbSession`` dependency that commits or rolls back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Annotated, Any

import anyio
from fastapi import Depends, Request
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool
from starlette.concurrency import run_in_threadpool

from ombud.bulk import dumps_json
from ombud.config import get_settings


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for Ombud's store; SQLite gets foreign keys and WAL."""
    # Statement parameters are personal data (emails, names): never in error messages or logs.
    kwargs.setdefault("hide_parameters", True)
    # orjson instead of the standard library for JSON columns: the same values, a fraction of
    # the CPU (steps, audit entries and results are JSON).
    kwargs.setdefault("json_serializer", dumps_json)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy emits BEGIN.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=10000")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE: concurrent writers wait (busy_timeout) instead of failing when a read
            # transaction tries to become a write transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # The connection used last is taken first: a process's few busy threads keep reusing the
    # same connections, whose prepared statements (PostgreSQL) and caches are warm, instead
    # of cycling through the whole pool (first in, first out) and warming each one in turn.
    if "poolclass" not in kwargs:  # only the default queue pool takes these options
        kwargs.setdefault("pool_use_lifo", True)
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", MAX_OVERFLOW)
    engine = create_engine(url, **kwargs)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 10.0
# Connections a process keeps open, and opens on top when busy (SQLAlchemy's defaults).
POOL_SIZE = 5
MAX_OVERFLOW = 10
# Of those, kept from request sessions for the process's own threads: the consent batcher,
# the mail sender, the execution runner, the scheduler's jobs, and sessions a request opens
# inside its own (``unit_of_work``).
BACKGROUND_CONNECTIONS = 5


def request_slots(engine: Engine) -> int | None:
    """How many request sessions may hold a connection of ``engine`` at once (None: no limit,
    a pool that never makes a thread wait, like SQLite's in-memory one)."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return None
    overflow = int(getattr(pool, "_max_overflow", 0))  # no public accessor
    if overflow < 0:  # opens as many connections as asked: no thread ever waits
        return None
    return max(1, pool.size() + overflow - BACKGROUND_CONNECTIONS)


def _ping_after_idle(engine: Engine) -> None:
    """Ping pooled connections that sat idle, instead of ``pool_pre_ping`` on every checkout.

    A ping per checkout is a round trip per request, about a tenth of a busy API's time. A
    connection back in the pool seconds ago is alive unless the server just went away, and
    then the first error invalidates the whole pool anyway."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # new connections have just proved themselves
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool drops this connection and checks out (or opens) another.
            raise DisconnectionError(f"stale pooled connection: {exc}") from exc


@lru_cache
def get_engine() -> Engine:
    """Return the process-wide engine for ``OMBUD_DATABASE_URL``."""
    return make_engine(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine`` (default: the process engine)."""
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


def after_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` once the session's transaction has committed (enqueue jobs, send mail)."""
    session.info.setdefault("after_commit", []).append(callback)


def after_commit_all(
    session: Session, name: str, item: str, callback: Callable[[list[str]], object]
) -> None:
    """Once the transaction has committed, call ``callback`` once with every ``item`` added
    under ``name`` (a batch of letters is sent in one go, not one claim per letter)."""
    batches: dict[str, list[str]] = session.info.setdefault(_BATCHES, {})
    items = batches.get(name)
    if items is None:
        items = batches[name] = []
        after_commit(session, lambda: callback(items))
    items.append(item)


_MEMO = "ombud_per_transaction"
_BATCHES = "ombud_after_commit_batches"


def once_per_transaction(session: Session, name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per (outer) transaction of ``session``: a batch that completes many
    requests in one transaction, with a savepoint each, reads the map version once."""
    txn = session.get_transaction()
    memo: dict[str, Any] = session.info.setdefault(_MEMO, {})
    if memo.get("") is not txn or txn is None:
        memo.clear()
        memo[""] = txn
    if name not in memo:
        memo[name] = compute()
    return memo[name]


def forget_per_transaction(session: Session, name: str | None = None) -> None:
    """Drop what ``once_per_transaction`` kept under ``name`` (or everything): it changed."""
    if name is None:
        session.info.pop(_MEMO, None)
    else:
        session.info.get(_MEMO, {}).pop(name, None)


def _run_after_commit(session: Session) -> None:
    session.info.pop(_BATCHES, None)
    callbacks: list[Callable[[], object]] = session.info.pop("after_commit", [])
    for callback in callbacks:
        callback()


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """Open a session for a job or command; commit on success, roll back on error."""
    # Not ``session_factory(engine)()``: each sessionmaker makes a new Session subclass, and
    # SQLAlchemy builds every new class's event dispatch on first use (about 1 ms a time).
    session = Session(bind=engine or get_engine(), expire_on_commit=False)
    try:
        yield session
    except BaseException:
        _finish(session, False)
        raise
    _finish(session, True)


def _finish(session: Session, ok: bool) -> None:
    """Commit (then run the after-commit work) or roll back, and close."""
    try:
        if ok:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        _drop_after_commit(session)
        raise
    finally:
        session.close()
    if ok:
        _run_after_commit(session)
    else:
        _drop_after_commit(session)


def _drop_after_commit(session: Session) -> None:
    session.info.pop(_BATCHES, None)
    session.info.pop("after_commit", None)


def _slots(app: Any) -> asyncio.Semaphore | None:
    """The app's request-session slots on the running event loop (made on first use: a test
    client starts a new loop, and a semaphore belongs to one)."""
    state = app.state
    loop = asyncio.get_running_loop()
    kept: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore | None] | None = getattr(
        state, "session_slots", None
    )
    if kept is None or kept[0] is not loop:
        count = request_slots(state.engine) if hasattr(state, "engine") else None
        kept = (loop, None if count is None else asyncio.Semaphore(count))
        state.session_slots = kept
    return kept[1]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """FastAPI dependency: one session per request, committed when the endpoint returns."""
    # A session checks out its connection in a worker thread and keeps it until its commit,
    # which needs a worker thread again: with more requests than connections, every thread
    # could wait for a connection while every connection waits for a thread to commit (a
    # deadlock until the pool's timeout, then 500s). So a request waits here, holding no
    # thread, until a connection is sure to be free for it.
    slots = _slots(request.app)
    if slots is not None:
        await slots.acquire()
    try:
        # Async so that opening the session costs no thread hop; the commit (and the
        # after-commit work, which may send mail) runs in the thread pool, shielded so a
        # client hanging up cannot leave the transaction half-finished.
        factory: sessionmaker[Session] = request.app.state.session_factory
        session = factory()
        try:
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(_finish, session, False)
            raise
        if not session.in_transaction() and not session.info.get("after_commit"):
            _finish(session, True)  # nothing to commit (a cached token, say): no thread hop
            return
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_finish, session, True)
    finally:
        if slots is not None:
            slots.release()


# scope="function": commit before the response is sent, so a client never sees success for a
# transaction that then fails, and the next request sees this one's writes.
DbSession = Annotated[Session, Depends(get_session, scope="function")]
