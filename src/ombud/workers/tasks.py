"""What a worker does with a message: the work is claimed in the store, never trusted from
the message (it only carries ids), so running a message twice does the work once."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from ombud.config import Settings, get_settings
from ombud.db import get_engine, unit_of_work
from ombud.execution import retries
from ombud.execution import tasks as execution
from ombud.execution.claiming import past_limit
from ombud.outbox import service as outbox

log = logging.getLogger(__name__)

ACTOR = "system:worker"


def run_requests(engine: Engine, settings: Settings, request_ids: Sequence[str]) -> list[str]:
    """Run the requests, then fail with the reason those the claim left past the retry
    limit; return the completed ids."""
    ids = sorted(set(request_ids))  # one lock order for every worker: no deadlock
    reports = execution.run_requests(engine, ids, settings=settings, actor=ACTOR)
    # The claim leaves a run past the retry limit alone; it is failed here, with the reason.
    # Looked for only then: a read of every message's runs first cost each message a
    # transaction.
    worn = [r.request_id for r in reports if past_limit(r)]
    retries.give_up(engine, worn, max_attempts=settings.execution_max_attempts, actor=ACTOR)
    for report in reports:
        if report.status == "failed":
            log.warning("request %s failed: %s", report.request_id, report.message)
    return [r.request_id for r in reports if r.status == "completed"]


def send_mail(engine: Engine, settings: Settings, mail_ids: Sequence[str]) -> int:
    """Send these queued letters (claimed rows: one sender each); return how many went."""
    report = outbox.deliver(lambda: unit_of_work(engine), settings, ids=list(mail_ids))
    return report.sent


def _run_requests_task(request_ids: list[str]) -> None:
    run_requests(get_engine(), get_settings(), request_ids)


def _send_mail_task(mail_ids: list[str]) -> None:
    send_mail(get_engine(), get_settings(), mail_ids)


def register(app: Any) -> None:
    """Add Ombud's tasks to the Celery ``app``."""
    from ombud.workers.celery_app import RUN_REQUESTS, SEND_MAIL

    common: dict[str, Any] = {
        "acks_late": True,
        "reject_on_worker_lost": True,
        # A store outage: the message comes back with growing waits; past the limit the
        # requeue job finds the work in the store again.
        "autoretry_for": (OperationalError,),
        "retry_backoff": 2,
        "retry_backoff_max": 120,
        "max_retries": 5,
    }
    app.task(name=RUN_REQUESTS, **common)(_run_requests_task)
    app.task(name=SEND_MAIL, **common)(_send_mail_task)
