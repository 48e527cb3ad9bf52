"""Retention status: per rule, the last run, what it changed and whether a run is overdue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.datamap.schemas import DataMap
from ombud.retention import own as own_data
from ombud.retention import repository
from ombud.retention.planner import Step, build_steps


def _why_not(steps: list[Step]) -> str:
    """Why a rule changes nothing in the databases."""
    if not steps:
        return "it names no collection (and no collection holds its categories)"
    reasons = []
    for s in steps:
        if s.problem:
            reasons.append(f"{s.collection}: {s.problem}")
        elif s.action == "report":
            reasons.append(f"{s.collection}: only reported")
        elif s.held_by is not None:
            reasons.append(f"{s.collection}: every row is held by {s.held_by.rule}")
    return "; ".join(reasons)


def status(session: Session, datamap: DataMap | None) -> list[dict[str, Any]]:
    """Per rule: the last run, what it changed, and whether a run is overdue (none in a day)."""
    latest = repository.latest_per_rule(session)
    completed = repository.last_completed(session)
    rules = (
        [r.fides_key for r in datamap.retention]
        if datamap is not None
        else [k for k in latest if not own_data.is_own(k)]
    )
    steps = build_steps(datamap) if datamap is not None else []
    now = utcnow()
    out = []
    for key in rules:
        last, done = latest.get(key), completed.get(key)
        own = [s for s in steps if s.rule == key]
        enforced = datamap is None or any(s.runnable for s in own)
        note = "" if enforced else _why_not(own)
        out.append(
            {
                "rule": key,
                "last_run": last.started_at.isoformat() if last else None,
                "last_status": last.status if last else None,
                "last_completed": done.finished_at.isoformat()
                if done and done.finished_at
                else None,
                "changed": {c: e.get("changed", 0) for c, e in (done.steps or {}).items()}
                if done
                else {},
                "enforced": enforced,
                "note": note,
                "overdue": enforced
                and (
                    done is None
                    or done.finished_at is None
                    or now - done.finished_at > timedelta(days=1, hours=6)
                ),
                "error": last.error if last and last.status == "failed" else "",
            }
        )
    return out + own_data.status(session)
