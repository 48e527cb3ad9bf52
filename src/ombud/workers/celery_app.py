"""The Celery application of ``ombud worker`` and of the API processes that send it messages.

A message only says "look at these requests" or "send these letters": the store holds the
truth, every task claims its work there first, so a duplicated message costs a look and a
lost one is found by the ``requeue`` job. Messages are acknowledged after the task ran
(``acks_late``) and given back when the worker dies (``reject_on_worker_lost``)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ombud.config import Settings

RUN_REQUESTS = "ombud.run_requests"
SEND_MAIL = "ombud.send_mail"


def _options(broker_url: str, queue: str, redis_prefix: str) -> dict[str, Any]:
    options: dict[str, Any] = {
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        # One message at a time per worker thread: a long batch holds back no other message.
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": queue,
        "task_default_exchange": queue,
        "task_default_routing_key": queue,
        "task_queues": {
            queue: {"exchange": queue, "exchange_type": "direct", "routing_key": queue}
        },
        # No broadcast queues: several installations (or test runs) may share one broker.
        "worker_enable_remote_control": False,
        "worker_send_task_events": False,
        "broker_connection_retry_on_startup": True,
        # The API must not hang on a broker outage: the requeue job sends the message later.
        "broker_connection_timeout": 3,
        "task_publish_retry_policy": {
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
    }
    if broker_url.startswith(("redis://", "rediss://")):
        options["broker_transport_options"] = {
            "global_keyprefix": f"{redis_prefix}celery:",
            # Unacknowledged messages of a dead worker come back after this; the requeue job
            # finds their requests in the store long before.
            "visibility_timeout": 3600,
        }
    return options


@lru_cache(maxsize=8)
def _app(broker_url: str, queue: str, redis_prefix: str) -> Any:
    from celery import Celery

    from ombud.workers import tasks

    app = Celery("ombud", broker=broker_url, set_as_current=False)
    app.conf.update(_options(broker_url, queue, redis_prefix))
    tasks.register(app)
    return app


def celery_app(settings: Settings) -> Any:
    """The Celery application for ``settings`` (one per broker and queue in a process)."""
    if not settings.broker_url:
        raise ValueError("OMBUD_BROKER_URL is not set: there is no broker to send work to")
    return _app(settings.broker_url, settings.broker_queue, settings.redis_prefix)
