"""``/staff/retention``: per rule the plan (what a run would change now, what holds keep) and
the status (last run, what it removed, overdue); "run now" for privacy officers. The same
services and roles as ``/api/v1/retention`` (the plan counts in the target databases, so it
needs the privacy officer role there and here)."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.console.web import ConsoleIdentity, page
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import DbSession, unit_of_work
from ombud.deps import ConsoleOfficer, ConsoleUser, SettingsDep
from ombud.errors import NotFound, OmbudError
from ombud.models.staff import Role
from ombud.retention import overview, own, service
from ombud.retention.service import RuleOutcome

router = APIRouter(prefix="/staff/retention", include_in_schema=False)


def _datamap(session: Session) -> DataMap | None:
    try:
        return datamap_service.get_current(session)
    except NotFound:
        return None


def _plan(
    session: Session, settings: Settings, datamap: DataMap | None
) -> tuple[list[dict[str, Any]], str]:
    """The plan rows (data map rules, then Ombud's own), or why the data map's were not counted."""
    now = utcnow()
    rows: list[dict[str, Any]] = []
    problem = ""
    if datamap is not None:
        try:
            found = service.plan(datamap, connections=dict(settings.connections), now=now)
            rows = [p.as_dict(now) for p in found]
        except (OmbudError, SQLAlchemyError) as exc:
            message = exc.message if isinstance(exc, OmbudError) else str(exc).splitlines()[0]
            problem = f"the data map's rules could not be counted: {message}"
    rows += own.plan_rows(session, rule=None, settings=settings, now=now)
    return rows, problem


def _render(
    session: Session,
    settings: Settings,
    me: ConsoleIdentity,
    *,
    status: int = 200,
    outcomes: list[RuleOutcome] | None = None,
    error: str = "",
) -> HTMLResponse:
    datamap = _datamap(session)
    # The plan counts in the target databases: privacy officers only, as in the API.
    officer = me.can(Role.privacy_officer)
    plan, plan_problem = _plan(session, settings, datamap) if officer else ([], "")
    names = {r.fides_key: r.name or r.fides_key for r in datamap.retention} if datamap else {}
    names |= {r.key: r.name for r in own.RULES}
    return page(
        me,
        "staff/retention.html",
        title="Retention",
        current="/staff/retention",
        status=status,
        datamap=datamap,
        plan=plan,
        plan_problem=plan_problem,
        rules=overview.status(session, datamap),
        names=names,
        outcomes=outcomes,
        error=error,
    )


@router.get("", response_class=HTMLResponse)
def retention_page(session: DbSession, settings: SettingsDep, me: ConsoleUser) -> HTMLResponse:
    """Each rule's status, and (for privacy officers) what a run would change now."""
    return _render(session, settings, me)


@router.post("/run", response_class=HTMLResponse)
def run_now(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    me: ConsoleOfficer,
    rule: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Apply every rule (or the one chosen) now, as ``POST /api/v1/retention/run`` does."""
    datamap = _datamap(session)
    chosen = rule.strip() or None
    if datamap is None and chosen is not None and not own.is_own(chosen):
        error = f"rule: no data map is applied, so only Ombud's own rules run, not {chosen!r}"
        return _render(session, settings, me, status=404, error=error)
    # The run commits each batch in its own transaction: end this one so it holds no lock.
    session.commit()
    engine: Engine = request.app.state.engine
    try:
        if datamap is None:
            outcomes = [
                RuleOutcome(o.rule, o.status, o.run_id, dict(o.changed or {}), o.error)
                for o in own.run(
                    partial(unit_of_work, engine), service.holder(), rule=chosen,
                    trigger="console", actor=me.email,
                )
            ]  # fmt: skip
        else:
            outcomes = service.run(
                partial(unit_of_work, engine),
                datamap,
                rule=chosen,
                trigger="console",
                actor=me.email,
                connections=dict(settings.connections),
            )
    except OmbudError as exc:
        return _render(session, settings, me, status=exc.status, error=f"rule: {exc.message}")
    return _render(session, settings, me, outcomes=outcomes)
