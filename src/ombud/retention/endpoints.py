"""Retention for staff: the dry run, a run now, and the status of each rule."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import Engine

from ombud.clock import utcnow
from ombud.datamap import service as datamap_service
from ombud.db import DbSession, unit_of_work
from ombud.deps import OfficerStaff, SettingsDep, ViewerStaff
from ombud.retention import overview, own, schemas, service

api = APIRouter(prefix="/api/v1/retention", tags=["retention"])


@api.get("/plan", response_model=schemas.PlanOut)
def get_plan(
    session: DbSession,
    settings: SettingsDep,
    _staff: OfficerStaff,
    rule: Annotated[str | None, Query(max_length=200)] = None,
) -> schemas.PlanOut:
    """Per rule and collection: rows past their period, held, still referenced, to change."""
    datamap = datamap_service.get_current(session)
    now = utcnow()
    rows = [] if own.is_own(rule) else [
        p.as_dict(now)
        for p in service.plan(datamap, rule=rule, connections=dict(settings.connections), now=now)
    ]  # fmt: skip
    rows += own.plan_rows(session, rule=rule, settings=settings, now=now)
    return schemas.PlanOut(steps=[schemas.StepOut.model_validate(r) for r in rows])


@api.post("/run", response_model=schemas.RunOut)
def run_now(
    body: schemas.RunIn,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    staff: OfficerStaff,
) -> schemas.RunOut:
    """Apply the rules now, in this process; each rule's run is audited under the caller."""
    datamap = datamap_service.get_current(session)
    # The run commits each batch in its own transaction: end this one so it holds no lock.
    session.commit()
    engine: Engine = request.app.state.engine
    outcomes = service.run(
        partial(unit_of_work, engine),
        datamap,
        rule=body.rule,
        batch=body.batch,
        trigger="api",
        actor=staff.user.email,
        connections=dict(settings.connections),
    )
    return schemas.RunOut(
        rules=[
            schemas.RuleOutcomeOut(
                rule=o.rule, status=o.status, run_id=o.run_id, changed=o.changed, error=o.error
            )
            for o in outcomes
        ]
    )


@api.get("/status", response_model=list[schemas.StatusOut])
def get_status(session: DbSession, _staff: ViewerStaff) -> list[schemas.StatusOut]:
    """When each rule last ran, what it changed, and whether a run is overdue."""
    datamap = datamap_service.get_current(session)
    return [schemas.StatusOut.model_validate(row) for row in overview.status(session, datamap)]


routers: list[APIRouter] = [api]
