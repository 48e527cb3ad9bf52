"""The retry limit: a request whose worker dies every time it runs it (out of memory, a crash
in a driver) is left ``failed`` with the reason instead of being re-queued for ever. Used by
the workers' requeue job and task, and by the server's background runner."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from ombud.db import unit_of_work
from ombud.dsr import service as dsr_service
from ombud.execution import repository
from ombud.execution.tasks import RunReport, _stale


def give_up(
    engine: Engine | None,
    request_ids: Sequence[str],
    *,
    max_attempts: int,
    actor: str = "system:workers",
) -> list[RunReport]:
    """Leave ``failed``, with the reason, the in-progress requests whose worker is gone after
    ``max_attempts`` runs (a request that kills its worker every time is not re-queued for
    ever). Their recorded steps stay: a retry by staff carries on with them."""
    reports: list[RunReport] = []
    if not request_ids:
        return reports
    with unit_of_work(engine) as session:
        # One read first: only runs past the limit are locked (the others are left to claim).
        runs = repository.runs_by_request(session, request_ids)
        worn = sorted(r for r, run in runs.items() if run.attempts >= max_attempts)
    if not worn:
        return reports
    with unit_of_work(engine) as session:
        for rid in worn:
            request = dsr_service.get(session, rid, lock=True)
            run = repository.get_run(session, rid, lock=True)
            if request.status != "in_progress" or run is None or run.attempts < max_attempts:
                continue
            if not _stale(run):
                continue
            error = (
                f"stopped after {run.attempts} attempts: the worker running it "
                f"({run.worker or 'unknown'}) stopped before finishing, each time; "
                "retry it once the cause is fixed"
            )
            run.phase, run.error, run.worker = "failed", error, None
            dsr_service.fail_execution(session, rid, actor=actor, error=error)
            reports.append(RunReport(rid, "failed", error))
    return reports
