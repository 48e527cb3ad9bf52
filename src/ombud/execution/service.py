"""Execution services on a session: plans, previews, results and connection tests."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ombud import keys
from ombud.audit import service as audit
from ombud.config import Settings
from ombud.connectors.base import connector_for
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import Connection, DataMap
from ombud.dsr import hints as dsr_hints
from ombud.dsr import rights
from ombud.dsr import service as dsr_service
from ombud.errors import Conflict, InvalidInput, NotFound, OmbudError
from ombud.execution import constraints
from ombud.execution.planner import (
    ACCESS_TYPES,
    ERASURE_TYPES,
    EXECUTABLE_TYPES,
    Plan,
    build_plan,
)
from ombud.execution.runner import (
    ConnectorPool,
    MemoryJournal,
    RequestOutcome,
    RequestSpec,
    execute_batch,
)
from ombud.models.requests import PrivacyRequest


def masking_key(settings: Settings) -> bytes:
    """The HMAC key of masking (its own setting, else derived from the oldest secret key)."""
    if settings.masking_key is not None:
        return settings.masking_key.get_secret_value().encode()
    # Stable across rotation: masked values must not change when the key is rotated.
    return keys.stable(settings, keys.MASKING)


def spec_for(request: PrivacyRequest) -> RequestSpec:
    """What the engine needs of a stored request."""
    if request.type not in EXECUTABLE_TYPES:
        raise InvalidInput(
            f"request {request.id} is a {request.type} request; execution handles "
            f"{', '.join(sorted(EXECUTABLE_TYPES))}"
        )
    # Only verified identities seed the search (the confirmed email, hints staff accepted).
    identities = dsr_hints.search_identities(request)
    if not identities:
        raise InvalidInput(f"request {request.id} has no verified identities to search with")
    return RequestSpec(request.id, request.type, identities, request.rectification)


class ExecutionFailed(OmbudError):
    """A run failed (e.g. a target database is down); the request is ``failed``, retriable."""

    status = 502
    code = "execution_failed"


# Statuses a request may be run from on demand: approved, or failed (a retry).
RUNNABLE = frozenset({"approved", "failed"})


def runnable(session: Session, request_id: str) -> PrivacyRequest:
    """The request if it may be run now; ``Conflict`` saying why not, or ``InvalidInput``."""
    request = dsr_service.get(session, request_id)
    if request.status not in RUNNABLE:
        why = {
            "in_progress": "it is already being run",
            "completed": "it is completed, and a request is run only once",
        }.get(request.status, "only approved requests (or failed ones, to retry) can be run")
        raise Conflict(
            f"cannot run request {request_id}: it is {request.status}; {why}",
            detail={"status": request.status},
        )
    if rights.of(request.type).handler == rights.EXECUTION:
        spec_for(request)
    return request


def current_plan(session: Session, settings: Settings, datamap: DataMap | None = None) -> Plan:
    """The plan of the data map in force."""
    dm = datamap or datamap_service.get_current(session)
    return build_plan(dm, connections=settings.connections)


# Plans by data map (the shared instance of an applied version) and connections: a run plans
# once per version, not per request. The map is kept in the entry, so a reused id() of a freed
# map never matches.
_PLANS: OrderedDict[tuple[int, tuple[tuple[str, str], ...]], tuple[DataMap, Plan]] = OrderedDict()
_PLANS_LOCK = threading.Lock()


def plan_of_version(datamap: DataMap, *, connections: dict[str, str]) -> Plan:
    """The plan of an applied version's shared map (``datamap_service.current_version``),
    built once per process."""
    key = (id(datamap), tuple(sorted(connections.items())))
    with _PLANS_LOCK:
        entry = _PLANS.get(key)
        if entry is not None and entry[0] is datamap:
            _PLANS.move_to_end(key)
            return entry[1]
    plan = build_plan(datamap, connections=connections)
    with _PLANS_LOCK:
        _PLANS[key] = (datamap, plan)
        while len(_PLANS) > 8:
            _PLANS.popitem(last=False)
    return plan


def result_of(plan: Plan, outcome: RequestOutcome) -> dict[str, Any]:
    """The result kept on the request: counts per collection, what was kept and why."""
    collections: dict[str, dict[str, Any]] = {}
    if outcome.spec.type in ACCESS_TYPES:
        for step in plan.steps:
            rows = outcome.rows.get(step.name, [])
            collections[step.name] = {
                "rows": len(rows),
                "action": "access",
                "fields": [f.name for f in step.export_fields],
            }
    for change in outcome.changes:
        collections[change.collection] = change.summary()
    return {
        "type": outcome.spec.type,
        "collections": collections,
        "kept": outcome.kept(),
        "unreachable": plan.unreachable_dicts(),
    }


@dataclass
class Preview:
    """A dry run: the rows and fields a request would export or change."""

    request_id: str
    type: str
    plan: Plan
    outcome: RequestOutcome
    lines: list[dict[str, Any]] = field(default_factory=list)
    # Erasure strategies a column cannot take: running the request would be refused.
    unwritable: list[str] = field(default_factory=list)


def preview(
    session: Session, request_id: str, *, settings: Settings, datamap: DataMap | None = None
) -> Preview:
    """Find the person's rows and compute the changes, without changing anything anywhere."""
    request = dsr_service.get(session, request_id)
    spec = spec_for(request)
    plan = current_plan(session, settings, datamap)
    dm = datamap or datamap_service.get_current(session)
    version = datamap_service.content_hash(datamap_service.normalise(dm))
    with ConnectorPool(dm, settings.connections) as pool:
        problems = (
            constraints.unwritable(plan, pool, version=version)
            if spec.type in ERASURE_TYPES
            else []
        )
        outcome = execute_batch(
            plan,
            [spec],
            pool=pool,
            journal=MemoryJournal(),
            key=masking_key(settings),
            dry_run=True,
        )[spec.id]
    result = Preview(request.id, request.type, plan, outcome, unwritable=[str(p) for p in problems])
    changes = {c.collection: c for c in outcome.changes}
    for step in plan.steps:
        rows = outcome.rows.get(step.name, [])
        change = changes.get(step.name)
        if spec.type in ACCESS_TYPES:
            action, fields = "export", [f.name for f in step.export_fields]
            keys = [r.get(step.key) for r in rows]
        elif change is not None:
            action, fields = change.action, change.fields
            keys = change.deletes or [k for k, _ in change.updates]
        else:
            continue
        result.lines.append(
            {
                "collection": step.name,
                "action": action,
                "rows": len(keys),
                "key": step.key,
                "keys": keys,
                "fields": fields,
                "kept": [k["field"] for k in change.kept] if change else [],
                "changes": [
                    {"key": k, "field": f, "old": old, "new": new}
                    for k, f, old, new in getattr(change, "diffs", ())
                ],
                "not_changed": list(change.kept) if change and spec.rectification else [],
            }
        )
    return result


def audited_preview(
    session: Session, request_id: str, *, settings: Settings, actor: str
) -> Preview:
    """``preview``, recording who looked (not what they saw: which rows are whose is personal)."""
    found = preview(session, request_id, settings=settings)
    audit.record(
        session,
        action="execution.previewed",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request_id,
        data={"collections": len(found.lines), "row_count": sum(x["rows"] for x in found.lines)},
    )
    return found


def test_connection(
    session: Session, name: str, *, settings: Settings, datamap: DataMap | None = None
) -> str:
    """Connect to a named connection and return the server version."""
    return check_connection(session, name, settings=settings, datamap=datamap)[0]


def check_connection(
    session: Session, name: str, *, settings: Settings, datamap: DataMap | None = None
) -> tuple[str, list[constraints.Unwritable]]:
    """Connect to a named connection: the server version, and the erasure strategies of the
    data map (when there is one) that its tables' columns cannot take."""
    connections = {n: Connection(name=n, url=u) for n, u in settings.connections.items()}
    dm: DataMap | None = None
    try:
        dm = datamap or datamap_service.get_current(session)
        connections.update({c.name: c for c in dm.connection})
    except NotFound:
        if name not in connections:
            raise
    if name not in connections:
        known = ", ".join(sorted(connections)) or "none"
        raise NotFound(f"no connection named '{name}' (known: {known})")
    with connector_for(connections[name]) as conn:
        version = conn.test()
        if dm is None:
            return version, []
        plan = build_plan(dm, connections=settings.connections)
        key = datamap_service.content_hash(datamap_service.normalise(dm))
        problems = [
            problem
            for step in constraints.to_check(plan)
            if step.connection == name
            for problem in constraints.check_step(
                step, constraints.table_columns(conn, step.table, version=key)
            )
        ]
        return version, problems
