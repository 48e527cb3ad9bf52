"""``/staff/requests/{id}``: one request, its timeline, identities, preview and package."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse

from ombud.clock import utcnow
from ombud.console.timeline import timeline
from ombud.console.web import ConsoleIdentity, page
from ombud.db import DbSession
from ombud.deps import ConsoleOfficer, ConsoleUser, IdPath, SettingsDep
from ombud.dsr import by_hand, service, workflow
from ombud.errors import OmbudError
from ombud.execution import downloads, package
from ombud.execution import service as execution
from ombud.manual import service as manual_service
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S
from ombud.staff import service as staff_service

router = APIRouter(prefix="/staff", include_in_schema=False)

# What a finished action says on the page it returns to (never text from the query string).
DONE = {
    "approve": "Approved. The request runs next (or use Run now).",
    "deny": "Denied. The letter was sent.",
    "extend": "The deadline was extended and the person told why.",
    "proof": "The person was asked for more proof; the clock is paused.",
    "proof-received": "Proof recorded; the clock runs again.",
    "cancel": "Cancelled.",
    "run": "The request was run.",
    "note": "Note added.",
    "assign": "Assignment saved.",
    "hint": "Identity decision recorded.",
    "create": "Request created.",
    "approval-recorded": "Your approval is recorded; the rule needs a second staff member's too.",
    "done-by-hand": "Marked done. The completion letter quoting your note was sent.",
    "reopen": "Reopened: the request is approved again.",
    "objection": "Objection decided. The letter says which purposes stop and why others continue.",
    "lift": "The person was told first; then the restriction was lifted.",
    "resend": "A new link was mailed to the owner; earlier links no longer work.",
}


def actions(request: PrivacyRequest) -> dict[str, bool]:
    """Which decisions the request's state allows (the page shows only those)."""
    status = S(request.status)
    is_open = status in workflow.OPEN
    rights = (request.result or {}).get("rights") or {}
    # An objection's other purposes are decided one by one, never approved as a whole.
    objection = request.type == "objection" and status is S.verified and bool(rights.get("pending"))
    return {
        # A completed request goes back to approved only through reopen.
        "approve": workflow.allowed(status, S.approved)
        and status is not S.completed
        and not objection,
        "deny": workflow.allowed(status, S.denied),
        "extend": is_open and request.extended_due_on is None and request.due_on is not None,
        "proof": status in (S.verified, S.awaiting_authorization) and request.paused_at is None,
        "proof_received": request.paused_at is not None,
        "cancel": workflow.allowed(status, S.cancelled),
        "run": status in (S.approved, S.failed),
        "preview": is_open,
        "package": bool((request.result or {}).get("export_id")),
        "objection": objection,
        "done": status in by_hand.DONE_PATHS,
        "reopen": status is S.completed and request.purged_at is None and request.email is not None,
        "lift": request.type == "restriction"
        and status is S.completed
        and bool(rights.get("restricted"))
        and not rights.get("lifted_at"),
    }


def render_request(
    session: DbSession,
    me: ConsoleIdentity,
    request_id: str,
    *,
    status: int = 200,
    done: str = "",
    error: str = "",
    **extra: Any,
) -> HTMLResponse:
    """The request page (also after an action, with its outcome or error)."""
    row = service.get(session, request_id)
    item = service.flags(row)
    assignee = None
    staff = staff_service.list_users(session)
    if row.assignee_id:
        assignee = next((u for u in staff if u.id == row.assignee_id), None)
    return page(
        me,
        "staff/request.html",
        title=f"Request {row.id[:8]}",
        current="/staff/requests",
        status=status,
        r=row,
        item=item,
        today=utcnow().date(),
        events=timeline(session, row.id),
        can=actions(row),
        rights=(row.result or {}).get("rights") or {},
        tasks=manual_service.for_request(session, row.id),
        task_words=manual_service.OWNER_WORDS,
        assignee=assignee,
        staff=staff,
        done=DONE.get(done, ""),
        error=error,
        **extra,
    )


@router.get("/requests/{request_id}", response_class=HTMLResponse)
def request_page(
    session: DbSession,
    me: ConsoleUser,
    request_id: IdPath,
    done: Annotated[str, Query(max_length=40)] = "",
) -> HTMLResponse:
    """One request: facts, identities, timeline and the decisions its state allows."""
    return render_request(session, me, request_id, done=done)


@router.get("/requests/{request_id}/preview", response_class=HTMLResponse)
def preview(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    me: ConsoleUser,
    request_id: IdPath,
) -> HTMLResponse:
    """What the request would export or change, found now in the connected databases."""
    service.get(session, request_id)
    found: execution.Preview | None = None
    problem = ""
    try:
        with session.begin_nested():
            found = execution.audited_preview(
                session, request_id, settings=settings, actor=me.email
            )
    except OmbudError as exc:
        problem = exc.message
    if request.headers.get("hx-target") == "preview":
        return page(me, "staff/_preview.html", title="Preview", preview=found, problem=problem)
    return render_request(session, me, request_id, preview=found, problem=problem)


@router.get("/requests/{request_id}/package", response_class=FileResponse)
def download(
    session: DbSession, settings: SettingsDep, me: ConsoleOfficer, request_id: IdPath
) -> FileResponse:
    """The request's access package, for a privacy officer (audited under their name)."""
    path = downloads.staff_download(session, settings, request_id, actor=me.email)
    media = "application/octet-stream" if path.suffix == ".age" else "application/zip"
    return FileResponse(path, media_type=media, filename=package.download_name(path))
