"""The retention schedule: the rules are applied at the times of ``OMBUD_RETENTION_SCHEDULE``
by the one scheduler (``ombud.workers.scheduler``, job "retention" in ``ombud.housekeeping``).
Each time slot is also claimed here, so it runs once; a rule still running from the previous
slot is skipped, not doubled."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from cronsim import CronSim
from sqlalchemy import Engine

from ombud.audit.tasks import nightly_checkpoint
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.db import unit_of_work
from ombud.errors import NotFound
from ombud.retention import repository, service

log = logging.getLogger(__name__)
# A slot's claim outlives any run, so a late process cannot take the same slot again.
SLOT_CLAIM = timedelta(days=2)


def next_slot(schedule: str, after: datetime) -> datetime:
    """The first time of ``schedule`` after ``after`` (aware UTC)."""
    slot: datetime = next(CronSim(schedule, after))
    return slot


def run_slot(
    engine: Engine, settings: Settings, slot: datetime
) -> list[service.RuleOutcome] | None:
    """Apply every rule for ``slot``, unless another process already claimed it (None)."""
    name = f"schedule:{slot.isoformat()}"
    with unit_of_work(engine) as session:
        if not repository.acquire(
            session, name, service.holder(), now=utcnow(), until=slot + SLOT_CLAIM
        ):
            return None
        try:
            datamap = datamap_service.get_current(session)
        except NotFound:
            return []
    outcomes = service.run(
        partial(unit_of_work, engine),
        datamap,
        trigger="schedule",
        actor="system:schedule",
        connections=dict(settings.connections),
    )
    # After the run, so the checkpoint anchors its audit entries too.
    nightly_checkpoint(engine, settings)
    return outcomes
