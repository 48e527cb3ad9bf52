"""Record keeping: purge identities of old closed requests, yearly metrics per type."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.db import after_commit
from ombud.dsr import agents, repository
from ombud.dsr.deadlines import add_months
from ombud.execution import package
from ombud.models.requests import RequestStatus as S
from ombud.models.requests import RequestType

KEEP_MONTHS = 24


def _deleter(record: dict[str, Any]) -> Callable[[], None]:
    settings = config.get_settings()
    return lambda: agents.delete_document(settings, record)


def purge(session: Session, *, months: int = KEEP_MONTHS, actor: str = "cli") -> int:
    """Remove identities and letters of requests closed more than ``months`` ago; keep counts."""
    now = utcnow()
    cutoff_day = add_months(now.date(), -months)
    cutoff = datetime.combine(cutoff_day, now.timetz()).astimezone(UTC)
    rows = repository.closed_before(session, cutoff)
    if not rows:
        return 0
    repository.delete_personal_rows(session, [r.id for r in rows])
    settings = config.get_settings()
    for row in rows:
        # Their access packages go too, once the purge is committed.
        after_commit(session, partial(package.discard, settings, row.id))
    for row in rows:
        # Type, jurisdiction, status and dates stay: they are the counts the metrics need.
        row.email = None
        row.identities = {}
        row.identity_hints = []
        if row.agent_permission:
            # The document goes once the purge is committed (a rollback keeps the evidence).
            after_commit(session, _deleter(row.agent_permission))
        row.agent_permission = None
        row.details = ""
        row.rectification = None
        row.agent = None
        row.denial_reason = None
        row.extension_reason = None
        row.result = None
        row.callback_urls = None
        row.country = None
        row.package_recipient = None
        row.package_passphrase_sealed = None
        row.purged_at = now
    session.flush()
    audit.record(
        session,
        action="request.purged",
        actor=actor,
        subject_type="privacy_request",
        subject_id="*",
        data={"count": len(rows), "closed_before": cutoff.isoformat(), "months": months},
    )
    return len(rows)


@dataclass(frozen=True)
class TypeMetrics:
    """One line of the yearly report (CCPA 11 CCR 7102)."""

    type: str
    received: int
    complied_whole_or_part: int
    denied: int
    median_days_to_respond: float | None
    mean_days_to_respond: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON and CSV."""
        return asdict(self)


def metrics(session: Session, *, year: int) -> list[TypeMetrics]:
    """Per type, requests received in ``year``: received, complied, denied, days to respond."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    rows = repository.received_between(session, start, end)
    out = []
    for kind in RequestType:
        mine = [r for r in rows if r.type == kind.value]
        answered = [
            r
            for r in mine
            if r.status in (S.completed.value, S.denied.value) and r.closed_at is not None
        ]
        days = [
            (r.closed_at - r.received_at).total_seconds() / 86400 for r in answered if r.closed_at
        ]
        out.append(
            TypeMetrics(
                type=kind.value,
                received=len(mine),
                complied_whole_or_part=sum(r.status == S.completed.value for r in mine),
                denied=sum(r.status == S.denied.value for r in mine),
                median_days_to_respond=round(statistics.median(days), 1) if days else None,
                mean_days_to_respond=round(statistics.fmean(days), 1) if days else None,
            )
        )
    return out
