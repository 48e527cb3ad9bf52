"""The dashboard: open requests by status, overdue, due this week, metrics and the chart."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.console.dashboard import bars
from ombud.dsr.deadlines import add_months
from tests.console.conftest import SignedIn, add_request


def test_dashboard_counts(signed_in: SignedIn, db_session: Session) -> None:
    late = add_request(db_session, due_in=-1)
    soon = add_request(db_session, due_in=4, status="approved")
    add_request(db_session, due_in=20)
    add_request(db_session, status="awaiting_verification", due_in=-5)  # no deadline runs yet
    add_request(db_session, status="completed", received_days_ago=10,
                closed_at=utcnow())  # fmt: skip
    client, _ = signed_in("viewer")
    page = client.get("/staff")
    assert page.status_code == 200
    text = page.text
    overdue = text.split('id="overdue-h"', 1)[1].split("</section>", 1)[0]
    assert '<p class="stat">1</p>' in overdue and late.id[:8] in overdue
    week = text.split('id="week-h"', 1)[1].split("</section>", 1)[0]
    assert '<p class="stat">1</p>' in week and soon.id[:8] in week
    assert 'href="/staff/requests?status=verified">verified</a>: 2' in text
    assert "1 waiting for the person to confirm" in text
    metrics = text.split('id="metrics-h"', 1)[1]
    # access: 5 received this year, 1 completed after 10 days.
    assert re.search(r"<td>access</td><td>5</td><td>1</td><td>0</td>\s*<td>10.0</td>", metrics)
    assert "<svg" in text and 'role="img"' in text


def test_chart_scales_to_the_busiest_month() -> None:
    start = add_months(utcnow().date().replace(day=1), -2)
    drawn = bars([(start, 2), (add_months(start, 1), 0), (add_months(start, 2), 4)])
    assert [b.count for b in drawn] == [2, 0, 4]
    assert drawn[2].height == 2 * drawn[0].height and drawn[1].height == 0
    assert drawn[2].y + drawn[2].height == drawn[0].y + drawn[0].height  # same baseline
