"""``/staff``: the console's dashboard, with requests per month as a server-drawn SVG chart."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ombud.clock import utcnow
from ombud.console.web import page
from ombud.db import DbSession
from ombud.deps import ConsoleUser
from ombud.dsr.overview import overview

router = APIRouter(prefix="/staff", include_in_schema=False)

WIDTH, HEIGHT, TOP, BOTTOM = 600, 200, 16, 24


@dataclass(frozen=True)
class Bar:
    """One month's bar in SVG units."""

    x: float
    y: float
    width: float
    height: float
    label: str
    count: int


def bars(per_month: list[tuple[date, int]]) -> list[Bar]:
    """Bars scaled to the chart: the busiest month reaches the top."""
    if not per_month:
        return []
    top = max(max(n for _, n in per_month), 1)
    slot = WIDTH / len(per_month)
    usable = HEIGHT - TOP - BOTTOM
    out = []
    for i, (month, count) in enumerate(per_month):
        height = usable * count / top
        out.append(
            Bar(
                x=round(i * slot + slot * 0.15, 1),
                y=round(TOP + usable - height, 1),
                width=round(slot * 0.7, 1),
                height=round(height, 1),
                label=month.strftime("%b"),
                count=count,
            )
        )
    return out


@router.get("", response_class=HTMLResponse)
def dashboard(session: DbSession, me: ConsoleUser) -> HTMLResponse:
    """Open requests by status, what is overdue or due this week, and the yearly metrics."""
    view = overview(session)
    return page(
        me,
        "staff/dashboard.html",
        title="Dashboard",
        current="/staff",
        view=view,
        bars=bars(view.per_month),
        chart={"width": WIDTH, "height": HEIGHT, "base": HEIGHT - BOTTOM},
        today=utcnow().date(),
    )
