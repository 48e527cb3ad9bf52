"""``/staff/requests/new``: enter a request received by letter, phone or in person, or import
many from a CSV file; the same validation and services as the public form and the API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud.console.web import ConsoleIdentity, page, redirect
from ombud.db import DbSession
from ombud.deps import ConsoleOfficer
from ombud.dsr import imports, jurisdictions, service
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.errors import OmbudError
from ombud.models.requests import RequestType

router = APIRouter(prefix="/staff/requests", include_in_schema=False)

Text = Annotated[str, Form(max_length=5000)]
Short = Annotated[str, Form(max_length=320)]


def _form(
    session: Session,
    me: ConsoleIdentity,
    *,
    values: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    return page(
        me,
        "staff/new_request.html",
        title="New request",
        current="/staff/requests/new",
        status=status,
        values=values or {},
        errors=errors or [],
        types=[t.value for t in RequestType],
        jurisdictions=sorted(jurisdictions.load(session)),
        columns=imports.COLUMNS,
    )


def _problems(exc: ValidationError) -> list[str]:
    out = []
    for e in exc.errors():
        where = ".".join(str(p) for p in e["loc"]) or "form"
        out.append(f"{where}: {e['msg']}")
    return out


@router.get("/new", response_class=HTMLResponse)
def new_request(session: DbSession, me: ConsoleOfficer) -> HTMLResponse:
    """The form for one request, and the CSV import for many."""
    return _form(session, me)


@router.post("/new", response_class=HTMLResponse)
def create_request(
    session: DbSession,
    me: ConsoleOfficer,
    type: Short,
    email: Short,
    jurisdiction: Short = "",
    country: Short = "",
    phone: Short = "",
    account_id: Short = "",
    details: Text = "",
    verification: Short = "mail",
    verified_reason: Text = "",
) -> Response:
    """Create the request: a code is mailed, or staff record the proof of identity they saw."""
    values = {
        "type": type,
        "email": email,
        "jurisdiction": jurisdiction,
        "country": country,
        "phone": phone,
        "account_id": account_id,
        "details": details,
        "verification": verification,
        "verified_reason": verified_reason,
    }
    fields: dict[str, Any] = {k: v.strip() for k, v in values.items() if v.strip()}
    for key in ("verification", "verified_reason"):
        fields.pop(key, None)
    reason = verified_reason.strip() if verification == "staff" else ""
    if verification == "staff" and not reason:
        errors = ["say which proof of identity you saw, or let Ombud mail the person a code"]
        return _form(session, me, values=values, errors=errors, status=422)
    try:
        data = PrivacyRequestCreate.model_validate(fields)
    except ValidationError as exc:
        return _form(session, me, values=values, errors=_problems(exc), status=422)
    try:
        with session.begin_nested():
            row = service.create(session, data=data, actor=me.email, verified_reason=reason)
    except OmbudError as exc:
        return _form(session, me, values=values, errors=[exc.message], status=exc.status)
    return redirect(f"/staff/requests/{row.id}?done=create")


@router.post("/import", response_class=HTMLResponse)
async def import_requests(
    session: DbSession,
    me: ConsoleOfficer,
    file: Annotated[UploadFile, File(description="CSV file")],
) -> Response:
    """Create one request per CSV row, all or none."""
    data = await file.read(imports.MAX_BYTES + 1)
    try:
        rows = await run_in_threadpool(_import, session, data, me.email)
    except OmbudError as exc:
        detail = exc.detail if isinstance(exc.detail, list) else []
        errors = [exc.message, *(str(d) for d in detail)]
        return await run_in_threadpool(
            _form, session, me, errors=errors, status=exc.status, values={}
        )
    return redirect(f"/staff/requests?status=all&imported={len(rows)}")


def _import(session: Session, data: bytes, actor: str) -> list[Any]:
    with session.begin_nested():
        return imports.import_csv(session, data, actor=actor)
