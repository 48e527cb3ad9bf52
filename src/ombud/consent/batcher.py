"""Group commit of single decisions: one transaction for the decisions that arrive together.

Every banner click and every ``POST /api/v1/consent/decisions`` is one decision; written one
per transaction, each pays a session, a thread hop, a round trip and a commit of its own.
The batcher of a server process collects the decisions that arrive within a short window
(``consent_batch_window_ms``, or while the previous batch is being written), validates each
one on its own, writes the valid ones with one multi-row INSERT plus the state upserts, and
commits once. Each request awaits its own decision's outcome: its records after the commit,
or its own error. See docs/consent.md ("Group commit")."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ombud.config import Settings
from ombud.consent import ledger
from ombud.consent.ledger import Entry
from ombud.consent.purposes import MapInfo, current_map, latest_known_map
from ombud.db import unit_of_work
from ombud.errors import Conflict, InvalidInput, OmbudError
from ombud.models.consent import ConsentRecord

log = logging.getLogger(__name__)

# Validates one decision and returns its ledger entries (none is fine), or raises the
# OmbudError its caller should get; may be called again against a newer data map.
Prepare = Callable[[Session, MapInfo], list[Entry]]
Scope = Callable[[], AbstractContextManager[Session]]
Outcome = list[ConsentRecord] | BaseException


@dataclass
class _Item:
    prepare: Prepare
    future: asyncio.Future[list[ConsentRecord]]
    entries: list[Entry] = field(default_factory=list)


class DecisionBatcher:
    """Per server process: queue, write and commit decisions in batches (see module doc)."""

    def __init__(
        self, scope: Scope, settings: Settings, *, window: float = 0.002, max_items: int = 500
    ) -> None:
        self._scope = scope
        self._settings = settings
        self.window = window
        self.max_items = max(1, max_items)
        self._pending: list[_Item] = []
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # committed batches and decisions, for tests and metrics
        self.decisions = 0

    async def submit(
        self, prepare: Prepare, *, release: Session | None = None
    ) -> list[ConsentRecord]:
        """Queue one decision; its records once committed, or its own error.

        ``release``: the request's own session, committed first if it began a transaction
        (checking a token): else a request holds a pooled connection, or SQLite's write
        lock, while it waits for the batch that needs them."""
        if release is not None and release.in_transaction():
            await run_in_threadpool(release.commit)
        loop = asyncio.get_running_loop()
        if self._task is not None and self._task.get_loop() is not loop:
            # A new event loop (a test client started again): the old one's task is gone.
            self._task, self._pending = None, []
        item = _Item(prepare, loop.create_future())
        self._pending.append(item)
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain())
        # Shielded: a client hanging up must not cancel the outcome the batch will set.
        return await asyncio.shield(item.future)

    async def _drain(self) -> None:
        first = True
        while self._pending:
            if first and self.window > 0 and len(self._pending) < self.max_items:
                # Nothing was being written: wait briefly for more decisions to join.
                await asyncio.sleep(self.window)
            first = False
            batch = self._pending[: self.max_items]
            del self._pending[: self.max_items]
            try:
                outcomes = await run_in_threadpool(self._write, batch)
            except BaseException as exc:  # the loop is shutting down: nobody waits forever
                outcomes = [exc] * len(batch)
                for item, outcome in zip(batch, outcomes, strict=True):
                    _settle(item, outcome)
                raise
            for item, outcome in zip(batch, outcomes, strict=True):
                _settle(item, outcome)

    def _write(self, batch: list[_Item]) -> list[Outcome]:
        """Write a batch in one transaction; if that fails, each decision on its own."""
        try:
            with self._scope() as session:
                outcomes = self._write_in(session, batch)
        except Exception as exc:
            if len(batch) == 1:
                return [exc]
            # The type only: a message may quote what was being written.
            log.warning(
                "consent batch of %d failed (%s); writing one by one",
                len(batch),
                type(exc).__name__,
            )
            return [self._write([item])[0] for item in batch]
        self.batches += 1
        self.decisions += sum(1 for o in outcomes if not isinstance(o, BaseException))
        return outcomes

    def _write_in(self, session: Session, batch: list[_Item]) -> list[Outcome]:
        # The map this process saw last, checked by the write itself (as record_decisions).
        info = latest_known_map(session)
        errors = _prepare(session, batch, info)
        if any(isinstance(e, InvalidInput) for e in errors.values()):
            fresh = current_map(session)
            if fresh is not info:  # refused against an old map: look again at the new one
                info, errors = fresh, _prepare(session, batch, fresh)
        written = self._write_entries(session, batch, errors, info)
        if written is None:  # another process applied a new data map meanwhile
            info = current_map(session)
            errors = _prepare(session, batch, info)
            written = self._write_entries(session, batch, errors, info)
        outcomes: list[Outcome] = []
        for i, item in enumerate(batch):
            if i in errors:
                outcomes.append(errors[i])
            elif written is None:
                outcomes.append(Conflict("the data map changed while the decision was recorded"))
            else:
                outcomes.append(written[: len(item.entries)])
                del written[: len(item.entries)]
        return outcomes

    def _write_entries(
        self, session: Session, batch: list[_Item], errors: dict[int, OmbudError], info: MapInfo
    ) -> list[ConsentRecord] | None:
        entries = [e for i, item in enumerate(batch) if i not in errors for e in item.entries]
        return ledger.write_checked(
            session, entries, map_version=info.version_key, settings=self._settings
        )


def _prepare(session: Session, batch: list[_Item], info: MapInfo) -> dict[int, OmbudError]:
    """Validate every item against ``info``; the errors by position (others get entries)."""
    errors: dict[int, OmbudError] = {}
    for i, item in enumerate(batch):
        try:
            item.entries = item.prepare(session, info)
        except OmbudError as exc:
            item.entries = []
            errors[i] = exc
    return errors


def _settle(item: _Item, outcome: Outcome) -> None:
    if item.future.done():  # cancelled with the loop
        return
    if isinstance(outcome, BaseException):
        item.future.set_exception(outcome)
    else:
        item.future.set_result(outcome)


def batcher_for(request: Request) -> DecisionBatcher:
    """The batcher of the request's app (``batcher_of``)."""
    return batcher_of(request.app)


def batcher_of(app: Any) -> DecisionBatcher:
    """The app's batcher, created on first use (its transactions: ``consent_batch_scope`` if
    the app has one, else a unit of work on the app's engine)."""
    state = app.state
    batcher: DecisionBatcher | None = getattr(state, "consent_batcher", None)
    if batcher is None:
        settings: Settings = state.settings
        scope: Scope | None = getattr(state, "consent_batch_scope", None)
        if scope is None:
            engine = state.engine

            def scope() -> AbstractContextManager[Session]:
                return unit_of_work(engine)

        batcher = DecisionBatcher(
            scope,
            settings,
            window=settings.consent_batch_window_ms / 1000,
            max_items=settings.consent_batch_max,
        )
        state.consent_batcher = batcher
    return batcher
