"""``/staff/audit``: check the chain, search entries by subject (a request id), action or
actor, and export what was found as JSON lines; read-only, for every staff role."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from ombud.audit import service as audit
from ombud.console.web import page
from ombud.db import DbSession
from ombud.deps import ConsoleUser

router = APIRouter(prefix="/staff/audit", include_in_schema=False)

PAGE = 100
EXPORT_MAX = 10_000
Param = Annotated[str, Query(max_length=200)]
Before = Annotated[int | None, Query(ge=1)]


def _query(subject: str, action: str, actor: str, before: int | None) -> audit.Search:
    return audit.Search(subject_id=subject, action=action, actor=actor, before_seq=before)


@router.get("", response_class=HTMLResponse)
def audit_log(
    session: DbSession,
    me: ConsoleUser,
    subject: Param = "",
    action: Param = "",
    actor: Param = "",
    before: Before = None,
) -> HTMLResponse:
    """The newest entries, or those matching the search."""
    query = _query(subject, action, actor, before)
    entries = audit.search(session, query, limit=PAGE)
    older = entries[-1].seq if len(entries) == PAGE else None
    return page(
        me,
        "staff/audit.html",
        title="Audit log",
        current="/staff/audit",
        entries=entries,
        query=query,
        older=older,
        verification=None,
    )


@router.get("/verify", response_class=HTMLResponse)
def verify(session: DbSession, me: ConsoleUser) -> HTMLResponse:
    """Walk the whole chain and show the first broken entry, if any."""
    result = audit.verify(session)
    entries = audit.search(session, audit.Search(), limit=PAGE)
    return page(
        me,
        "staff/audit.html",
        title="Audit log",
        current="/staff/audit",
        entries=entries,
        query=audit.Search(),
        older=entries[-1].seq if len(entries) == PAGE else None,
        verification=result,
    )


@router.get("/export")
def export(
    session: DbSession,
    me: ConsoleUser,
    subject: Param = "",
    action: Param = "",
    actor: Param = "",
) -> Response:
    """The matching entries (at most 10,000, newest) as JSON lines, with their hashes."""
    entries = audit.search(session, _query(subject, action, actor, None), limit=EXPORT_MAX)
    return Response(
        audit.export_lines(entries),
        media_type="application/x-ndjson",
        headers={
            "Content-Disposition": 'attachment; filename="ombud-audit.jsonl"',
            "Cache-Control": "no-store",
        },
    )
