"""``/staff``: the console's dashboard."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ombud.console.web import page
from ombud.db import DbSession
from ombud.deps import ConsoleUser

router = APIRouter(prefix="/staff", include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def dashboard(session: DbSession, me: ConsoleUser) -> HTMLResponse:
    """Open requests by status, what is overdue or due this week, and the yearly metrics."""
    return page(me, "staff/dashboard.html", title="Dashboard", current="/staff")
