"""The public complaint form at ``/privacy/complaint`` (server-rendered, no JavaScript)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud import ratelimit
from ombud.complaints import service
from ombud.complaints.schemas import ComplaintCreate
from ombud.db import DbSession
from ombud.dsr import jurisdictions, letters, wording
from ombud.errors import RateLimited
from ombud.origin import SameOrigin
from ombud.web.render import render

router = APIRouter(prefix="/privacy/complaint", include_in_schema=False)

FIELDS = ("about", "email", "name", "text", "request", "purpose", "jurisdiction", "country")
FORM = "complaints/form.html"
TITLE = "Make a complaint"


def _page(
    session: Session, template: str, *, status: int = 200, retry_after: int | None = None,
    **ctx: Any,
) -> HTMLResponse:  # fmt: skip
    html = render(
        template,
        org_name=letters.organization(session).name,
        purposes=service.purposes(session),
        jurisdictions=[(j.key, j.name) for j in jurisdictions.load(session).values()],
        **ctx,
    )
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return HTMLResponse(html, status_code=status, headers=headers)


@router.get("", response_class=HTMLResponse)
def form(session: DbSession) -> HTMLResponse:
    """The empty complaint form."""
    return _page(session, FORM, title=TITLE, values={}, errors={})


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        name = str(error["loc"][0]) if error["loc"] else "form"
        if name == "about":
            message = "choose what the complaint is about"
        errors.setdefault(name if name in FIELDS else "form", message)
    return errors


@router.post("", response_class=HTMLResponse, dependencies=[SameOrigin])
def submit(
    request: Request,
    session: DbSession,
    about: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    request_ref: Annotated[str, Form(alias="request")] = "",
    purpose: Annotated[str, Form()] = "",
    jurisdiction: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Check the form; show errors next to their fields, or the reference and deadline."""
    values = {
        "about": about, "email": email, "name": name, "text": text, "request": request_ref,
        "purpose": purpose, "jurisdiction": jurisdiction, "country": country,
    }  # fmt: skip
    raw: dict[str, Any] = {
        "about": about,
        "email": email.strip(),
        "name": name,
        "text": text,
        # Only the target its subject needs; the other inputs may hold what the form kept.
        "request": request_ref.strip() or None if about == "request" else None,
        "purpose": purpose or None if about == "processing" else None,
        "jurisdiction": jurisdiction or None,
        "country": country.strip().upper() or None,
        "language": wording.from_accept_language(request.headers.get("accept-language", "")),
    }
    errors: dict[str, str] = {}
    status, alert, retry_after = 422, "", None
    try:
        data = ComplaintCreate.model_validate(raw)
    except ValidationError as exc:
        errors = _field_errors(exc)
    else:
        try:
            ratelimit.check(request, scope="complaint", address=data.email)
            row = service.submit(session, data=data, source="web")
        except RateLimited as exc:
            # What the visitor typed stays in the form; the page says when to send it again.
            status, alert, retry_after = 429, exc.message, exc.retry_after
        except service.FieldError as exc:
            errors = {exc.field: exc.message.split(": ", 1)[1]}
        else:
            return _page(session, "complaints/received.html", title="Complaint received",
                         complaint=row)  # fmt: skip
    return _page(
        session, FORM, status=status, retry_after=retry_after, title=TITLE, values=values,
        errors=errors, alert=alert,
    )  # fmt: skip
