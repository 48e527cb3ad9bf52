"""``/staff/requests``: the queue with filters, search, sort, pages and bulk decisions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from ombud.clock import utcnow
from ombud.console.web import ConsoleIdentity, page, redirect
from ombud.db import DbSession, after_commit
from ombud.deps import ConsoleOfficer, ConsoleUser, IdPath
from ombud.dsr import jurisdictions, queue, service
from ombud.errors import InvalidInput, OmbudError
from ombud.models.requests import RequestStatus, RequestType
from ombud.staff import service as staff_service

router = APIRouter(prefix="/staff", include_in_schema=False)

Param = Annotated[str, Query(max_length=200)]
ACTIONS = {"approve": "Approve", "deny": "Deny", "assign": "Assign"}


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{name}: {value[:20]!r} is not a date like 2026-03-02") from None


def _int(value: str, name: str, default: int) -> int:
    if not value:
        return default
    if not value.isdigit() or len(value) > 6:
        raise InvalidInput(f"{name}: {value[:20]!r} is not a page number")
    return int(value)


@dataclass(frozen=True)
class Outcome:
    """What a bulk action did to one request."""

    request_id: str
    ok: bool
    message: str


def _filters(
    status: str, type: str, jurisdiction: str, since: str, until: str, assignee: str,
    q: str, sort: str, order: str, page_no: str,
) -> queue.Filters:  # fmt: skip
    return queue.Filters(
        status=status or "open",
        type=type,
        jurisdiction=jurisdiction,
        received_from=_day(since, "from"),
        received_to=_day(until, "to"),
        assignee=assignee,
        q=q.strip(),
        sort=sort or "deadline",
        descending=order == "desc",
        page=_int(page_no, "page", 1),
    )


def _query(filters: queue.Filters, **change: object) -> str:
    """The query string of ``filters`` (with ``change``), for links that keep the filters."""
    values: dict[str, Any] = asdict(filters) | change
    f = queue.Filters(**values)
    pairs = {
        "status": f.status if f.status != "open" else "",
        "type": f.type,
        "jurisdiction": f.jurisdiction,
        "from": f.received_from.isoformat() if f.received_from else "",
        "to": f.received_to.isoformat() if f.received_to else "",
        "assignee": f.assignee,
        "q": f.q,
        "sort": f.sort if f.sort != "deadline" else "",
        "order": "desc" if f.descending else "",
        "page": str(f.page) if f.page > 1 else "",
    }
    return urlencode({k: v for k, v in pairs.items() if v})


def _render(
    request: Request,
    session: DbSession,
    me: ConsoleIdentity,
    filters: queue.Filters,
    *,
    outcomes: list[Outcome] | None = None,
    action: str = "",
) -> HTMLResponse:
    results = queue.search(session, filters)
    unverified = None
    if filters.status == "open" and filters.page == 1:
        unverified = queue.search(session, queue.Filters(status="unverified", per_page=50))
    staff = staff_service.list_users(session)
    # htmx asks for the table only when a filter changes; everything else gets the page.
    partial = request.headers.get("hx-target") == "queue"
    return page(
        me,
        "staff/_queue.html" if partial else "staff/requests.html",
        title="Requests",
        current="/staff/requests",
        filters=filters,
        results=results,
        unverified=unverified,
        staff=staff,
        names={u.id: u.name or u.email for u in staff},
        statuses=[s.value for s in RequestStatus],
        types=[t.value for t in RequestType],
        jurisdictions=sorted(jurisdictions.load(session)),
        today=utcnow().date(),
        query=lambda **change: _query(filters, **change),
        outcomes=outcomes,
        action=ACTIONS.get(action, ""),
        actions=ACTIONS,
    )


@router.get("/requests", response_class=HTMLResponse)
def requests_page(
    request: Request,
    session: DbSession,
    me: ConsoleUser,
    status: Param = "",
    type: Param = "",
    jurisdiction: Param = "",
    since: Annotated[str, Query(alias="from", max_length=20)] = "",
    until: Annotated[str, Query(alias="to", max_length=20)] = "",
    assignee: Param = "",
    q: Param = "",
    sort: Param = "",
    order: Param = "",
    page_no: Annotated[str, Query(alias="page", max_length=8)] = "",
) -> HTMLResponse:
    """Every request with its deadline, filtered by the query string."""
    filters = _filters(status, type, jurisdiction, since, until, assignee, q, sort, order, page_no)
    return _render(request, session, me, filters)


def _apply(
    request: Request,
    session: DbSession,
    me: ConsoleIdentity,
    action: str,
    request_id: str,
    reason: str,
    assignee: str,
) -> str:
    if action == "approve":
        service.approve(session, request_id, actor=me.email, note=reason)
        runner = getattr(request.app.state, "execution_runner", None)
        if runner is not None:
            # Named, as the API's approval names it: run at once, without a look for work.
            after_commit(session, lambda: runner.wake([request_id]))
        return "approved"
    if action == "deny":
        service.deny(session, request_id, actor=me.email, reason=reason)
        return "denied; the letter was sent"
    queue.assign(session, request_id, assignee=assignee or None, actor=me.email, reason=reason)
    return f"assigned to {assignee}" if assignee else "unassigned"


@router.post("/requests/bulk", response_class=HTMLResponse)
def bulk(
    request: Request,
    session: DbSession,
    me: ConsoleOfficer,
    action: Annotated[str, Form(max_length=20)],
    reason: Annotated[str, Form(max_length=5000)] = "",
    assignee: Annotated[str, Form(max_length=320)] = "",
    ids: Annotated[list[str], Form(max_length=200)] = [],  # noqa: B006 - FastAPI copies it
) -> HTMLResponse:
    """Approve, deny or assign the ticked requests, each on its own; the reason is required."""
    if action not in ACTIONS:
        raise InvalidInput(f"action: use one of {', '.join(ACTIONS)}")
    if not ids:
        raise InvalidInput("tick at least one request")
    if not reason.strip():
        raise InvalidInput("reason: say why (the person reads it in a denial letter)")
    outcomes: list[Outcome] = []
    for request_id in dict.fromkeys(ids):
        try:
            with session.begin_nested():
                done = _apply(request, session, me, action, request_id, reason.strip(), assignee)
            outcomes.append(Outcome(request_id, True, done))
        except OmbudError as exc:
            outcomes.append(Outcome(request_id, False, exc.message))
    return _render(request, session, me, queue.Filters(), outcomes=outcomes, action=action)


@router.post("/requests/{request_id}/discard")
def discard(session: DbSession, me: ConsoleOfficer, request_id: IdPath) -> Response:
    """Delete an unverified request as spam."""
    queue.discard_unverified(session, request_id, actor=me.email)
    return redirect("/staff/requests?status=unverified")
