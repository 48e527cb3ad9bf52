"""HTTP endpoints of execution: the person's one-time package link and its renewal, the staff
package download, the plan, and previewing and running one request for staff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud import ratelimit
from ombud.config import Settings
from ombud.db import DbSession
from ombud.deps import OfficerStaff, SettingsDep, ViewerStaff
from ombud.dsr import service as dsr_service
from ombud.errors import Conflict, Forbidden, error_response
from ombud.execution import downloads, package, schemas, service, tasks
from ombud.execution.service import current_plan
from ombud.models.requests import PrivacyRequest
from ombud.web.render import render

public = APIRouter(tags=["execution"])
api = APIRouter(prefix="/api/execution", tags=["execution"])
requests_api = APIRouter(prefix="/api/v1/requests", tags=["requests"])


@public.get(
    "/privacy/exports/{token}",
    response_class=FileResponse,
    # A staff token on the person's link is refused: staff use the audited staff download.
    responses={403: error_response(403)},
)
def download_export(
    token: str, request: Request, session: DbSession, settings: SettingsDep
) -> Response:
    """The person downloads their package through the link in their letter, once."""
    if "authorization" in request.headers:
        raise Forbidden(
            "this link is for the person only; staff download packages through "
            "GET /api/v1/requests/{id}/package (privacy_officer), which is audited"
        )
    try:
        path, _ = downloads.open_person_link(session, settings, token)
    except downloads.LinkUsed as exc:
        page = render(
            "execution/link_used.html",
            title="Link already used",
            message=exc.message,
            renew=True,
            token=token,
        )
        return HTMLResponse(page, status_code=exc.status)
    media = "application/octet-stream" if path.suffix == ".age" else "application/zip"
    return FileResponse(path, media_type=media, filename=package.download_name(path))


@public.post("/privacy/exports/{token}/renew", response_class=HTMLResponse)
def renew_export_link(
    token: str, request: Request, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """Mail a new one-time link to the address of the request (never to the one asking)."""
    ratelimit.check(request, scope="renew", target=token)
    downloads.renew_person_link(session, settings, token)
    page = render(
        "execution/link_used.html",
        title="New link sent",
        message="We sent a new link to the email address of your request.",
        renew=False,
        token="",
    )
    return HTMLResponse(page)


@requests_api.get(
    "/{request_id}/package",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}, "application/octet-stream": {}}}},
)
def staff_download_package(
    request_id: str, session: DbSession, settings: SettingsDep, staff: OfficerStaff
) -> FileResponse:
    """A privacy officer downloads a request's package; recorded under their name."""
    path = downloads.staff_download(session, settings, request_id, actor=staff.user.email)
    media = "application/octet-stream" if path.suffix == ".age" else "application/zip"
    return FileResponse(path, media_type=media, filename=package.download_name(path))


@api.get("/plan")
def get_plan(session: DbSession, settings: SettingsDep, _staff: ViewerStaff) -> dict[str, Any]:
    """The traversal plan of the data map in force and its unreachable collections."""
    plan = current_plan(session, settings)
    return {
        "steps": [
            {
                "order": s.order,
                "collection": s.name,
                "connection": s.connection,
                "reached_from": s.reached_from(),
                "erasure": s.erasure_action(),
                "fields": [f.name for f in s.export_fields],
            }
            for s in plan.steps
        ],
        "erase_order": [s.name for s in plan.erase_order()],
        "unreachable": plan.unreachable_dicts(),
    }


@requests_api.get("/{request_id}/preview", response_model=schemas.RequestPreview)
def preview_request(
    request_id: str, session: DbSession, settings: SettingsDep, staff: ViewerStaff
) -> schemas.RequestPreview:
    """Dry run: the rows and fields the request would export or change; changes nothing."""
    found = service.audited_preview(session, request_id, settings=settings, actor=staff.user.email)
    status = dsr_service.get(session, request_id).status
    return schemas.RequestPreview(
        request_id=found.request_id,
        type=found.type,
        status=status,
        lines=[schemas.PreviewLine.model_validate(line) for line in found.lines],
        unreachable=found.plan.unreachable_dicts(),
        unwritable=found.unwritable,
    )


def run_now(
    session: Session, engine: Engine, settings: Settings, request_id: str, *, actor: str
) -> PrivacyRequest:
    """Run one approved (or failed) request in this process (the API and the console)."""
    service.runnable(session, request_id)
    # The run commits each stage in its own transaction (as ``ombud requests run`` does); end
    # this one first so it holds no lock they would wait for (SQLite has a single writer).
    session.commit()
    (report,) = tasks.run_requests(engine, [request_id], settings=settings, actor=actor)
    row = dsr_service.get(session, request_id)
    session.refresh(row)  # the run changed it in its own transactions
    if report.status == "skipped":
        raise Conflict(
            f"cannot run request {request_id}: {report.message}", detail={"status": row.status}
        )
    if report.status == "failed":
        raise service.ExecutionFailed(
            f"running request {request_id} failed: {report.message}; the request is failed "
            "and can be run again once the cause is fixed",
            detail={"status": row.status},
        )
    return row


@requests_api.post("/{request_id}/run", response_model=schemas.RunResult)
def run_request(
    request_id: str,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    staff: OfficerStaff,
) -> schemas.RunResult:
    """Run an approved (or failed) request now, in this process, and return what it did."""
    engine: Engine = request.app.state.engine
    row = run_now(session, engine, settings, request_id, actor=staff.user.email)
    return schemas.RunResult(
        request_id=row.id, status=row.status, message="the request was run", result=row.result
    )


routers: list[APIRouter] = [public, api, requests_api]
