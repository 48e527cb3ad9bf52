"""HTTP endpoints of execution: the signed package download and the plan for staff."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ombud.audit import service as audit
from ombud.db import DbSession
from ombud.deps import SettingsDep, ViewerStaff
from ombud.execution import package
from ombud.execution.service import current_plan

public = APIRouter(tags=["execution"])
api = APIRouter(prefix="/api/execution", tags=["execution"])


@public.get("/privacy/exports/{token}", response_class=FileResponse)
def download_export(token: str, session: DbSession, settings: SettingsDep) -> FileResponse:
    """Download an access package through its signed link; every use is logged."""
    export_id, request_id = package.unsign(settings, token)
    path = package.find(settings, export_id)
    audit.record(
        session,
        action="execution.package_downloaded",
        actor="public:download-link",
        subject_type="privacy_request",
        subject_id=request_id,
        data={"export_id": export_id, "file": path.name},
    )
    media = "application/octet-stream" if path.suffix == ".age" else "application/zip"
    return FileResponse(path, media_type=media, filename=path.name)


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


routers: list[APIRouter] = [public, api]
