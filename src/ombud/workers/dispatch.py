"""Sending work to the workers: messages after a commit (approval, a queued letter) and the
``requeue`` job that finds, in the store, the work whose message was lost or whose worker
died. Sending never fails the caller: the store keeps the work, the next requeue sends it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from ombud.config import Settings
from ombud.execution import retries
from ombud.execution import tasks as execution
from ombud.workers.celery_app import RUN_REQUESTS, SEND_MAIL, celery_app

log = logging.getLogger(__name__)

# Requests per message: small enough to spread a bulk approval over the workers, large
# enough that each batch shares its queries (the traversal reads a collection once per batch).
CHUNK = 20
# Requests the requeue job looks at per round.
REQUEUE_LIMIT = 1000


def chunks(ids: Sequence[str], size: int | None = None) -> list[list[str]]:
    """``ids`` sorted, in lists of ``size`` (default ``CHUNK``)."""
    size = size or CHUNK
    ordered = sorted(set(ids))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


class Dispatcher:
    """Sends messages to the workers (the API's stand-in for the in-process runner)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app: Any = celery_app(settings)
        self.redis = (settings.broker_url or "").startswith(("redis://", "rediss://"))

    def wake(self, request_ids: Sequence[str] = ()) -> int:
        """Ask the workers to run these requests; return the messages sent."""
        sent = 0
        for part in chunks(request_ids):
            sent += self._send(RUN_REQUESTS, part)
        return sent

    def send_mail(self, mail_ids: Sequence[str]) -> int:
        """Ask the workers to send these queued letters."""
        return self._send(SEND_MAIL, sorted(set(mail_ids))) if mail_ids else 0

    def backlog(self) -> int | None:
        """Messages waiting in the queue (None: the broker cannot say)."""
        try:
            if self.redis:
                # Kombu's passive declare does not see prefixed Redis keys: count the list.
                import redis

                key = f"{self.settings.redis_prefix}celery:{self.settings.broker_queue}"
                with redis.Redis.from_url(self.settings.broker_url or "") as client:
                    return int(client.llen(key))
            with self.app.connection_for_write() as conn:
                declared = conn.default_channel.queue_declare(
                    queue=self.settings.broker_queue, passive=True
                )
                return int(declared.message_count)
        except Exception as exc:  # a missing queue or an unreachable broker
            log.debug("cannot read the queue length: %s", type(exc).__name__)
            return None

    def close(self) -> None:
        """Close the broker connections of this process."""
        self.app.close()

    def _send(self, task: str, ids: list[str]) -> int:
        try:
            self.app.send_task(task, args=[ids], queue=self.settings.broker_queue)
        except Exception as exc:  # the work is in the store: the requeue job sends it again
            log.warning(
                "cannot reach the broker (%s); the requeue job will send this work later",
                type(exc).__name__,
            )
            return 0
        return 1


_dispatchers: dict[tuple[str, str, str], Dispatcher] = {}


def dispatcher(settings: Settings) -> Dispatcher:
    """The process's dispatcher for these settings."""
    key = (settings.broker_url or "", settings.broker_queue, settings.redis_prefix)
    if key not in _dispatchers:
        _dispatchers[key] = Dispatcher(settings)
    return _dispatchers[key]


def send_mail(settings: Settings, mail_ids: Sequence[str]) -> None:
    """After-commit hook of the outbox in worker mode: a worker sends the letters."""
    dispatcher(settings).send_mail(mail_ids)


def requeue(engine: Engine, settings: Settings, _slot: datetime | None = None) -> list[str]:
    """The reaper: fail requests past the retry limit, and send again the runnable ones
    (approved, or in progress with a dead worker or an expired lease) when the queue is
    empty, i.e. their message was lost or died with its worker. Returns the ids sent."""
    ids = execution.runnable_ids(engine, limit=REQUEUE_LIMIT)
    given_up = retries.give_up(
        engine, ids, max_attempts=settings.execution_max_attempts, actor="system:requeue"
    )
    ids = [i for i in ids if i not in {r.request_id for r in given_up}]
    d = dispatcher(settings)
    # Work still queued will be taken; re-sending it would only grow the queue.
    if not ids or (d.backlog() or 0) > 0:
        return []
    d.wake(ids)
    return ids
