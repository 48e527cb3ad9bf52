"""Staff API for a request's manual tasks, and the owner's page behind the signed link."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from ombud.db import DbSession
from ombud.deps import IdPath, OfficerStaff, SettingsDep, ViewerStaff
from ombud.errors import InvalidInput, NotFound
from ombud.manual import schemas, service
from ombud.models.manual import ManualTask
from ombud.origin import SameOrigin
from ombud.web.render import render

api = APIRouter(prefix="/api/v1/requests", tags=["manual tasks"])
page = APIRouter(prefix="/tasks", include_in_schema=False)

Token = Annotated[str, Path(min_length=20, max_length=400, pattern=r"^[A-Za-z0-9._-]+$")]


def _out(task: ManualTask) -> schemas.Task:
    return schemas.Task.model_validate(task)


@api.get("/{request_id}/tasks", response_model=schemas.TaskList)
def list_tasks(request_id: IdPath, session: DbSession, _token: ViewerStaff) -> schemas.TaskList:
    """The manual tasks of a request and how many are open."""
    tasks = service.for_request(session, request_id)
    return schemas.TaskList(
        items=[_out(t) for t in tasks], open=sum(t.status == "open" for t in tasks)
    )


@api.post("/{request_id}/tasks/{task_id}/resend", response_model=schemas.Task)
def resend_link(
    request_id: IdPath,
    task_id: IdPath,
    session: DbSession,
    settings: SettingsDep,
    token: OfficerStaff,
) -> schemas.Task:
    """Mail the owner a new link; the earlier links stop working."""
    task = service.get(session, task_id)
    if task.request_id != request_id:
        raise NotFound(f"request {request_id} has no manual task {task_id}")
    return _out(service.resend(session, settings, task_id, actor=token.user.email))


def _form(task: ManualTask, token: str, settings_max: int, error: str = "") -> str:
    return render(
        "manual/task.html",
        title=f"Task for {task.system_name}",
        task=task,
        token=token,
        what=service.ACTION_WORDS[task.action],
        max_mb=max(settings_max // (1024 * 1024), 1),
        error=error,
    )


@page.get("/{token}", response_class=HTMLResponse)
def task_page(token: Token, session: DbSession, settings: SettingsDep) -> HTMLResponse:
    """The owner's page: whom the request is about, what to do, and the report form."""
    task = service.from_link(session, settings, token)
    return HTMLResponse(_form(task, token, settings.manual_upload_max_bytes))


@page.post("/{token}", response_class=HTMLResponse, dependencies=[SameOrigin])
async def report(
    token: Token,
    session: DbSession,
    settings: SettingsDep,
    outcome: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=4000)] = "",
    note: Annotated[str, Form(max_length=4000)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Record the owner's report; a used, forged or expired link changes nothing."""
    upload = None
    if file is not None and file.filename:
        data = await file.read(settings.manual_upload_max_bytes + 1)
        upload = service.Upload(file.filename, data)
    try:
        task = await run_in_threadpool(
            service.close,
            session,
            settings,
            token,
            outcome=outcome,
            reason=reason,
            note=note,
            upload=upload,
        )
    except InvalidInput as exc:
        again = await run_in_threadpool(service.from_link, session, settings, token)
        html = _form(again, token, settings.manual_upload_max_bytes, error=exc.message)
        return HTMLResponse(html, status_code=422)
    words = service.OWNER_WORDS.get(task.status, task.status)
    return HTMLResponse(render("manual/closed.html", title="Thank you", task=task, outcome=words))


routers = [api, page]
