"""The public complaint form at ``/privacy/complaint`` (server-rendered, no JavaScript)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud import i18n, ratelimit
from ombud.complaints import service
from ombud.complaints.schemas import ComplaintCreate
from ombud.consent.cookies import LANGUAGE as LANGUAGE_COOKIE
from ombud.datamap import translate
from ombud.datamap.schemas import DataMap
from ombud.db import DbSession
from ombud.dsr import jurisdictions, letters, wording
from ombud.dsr.formerrors import as_sentence, sentence
from ombud.errors import RateLimited
from ombud.i18n import gettext as _
from ombud.origin import SameOrigin
from ombud.web.render import render

router = APIRouter(prefix="/privacy/complaint", include_in_schema=False)

FIELDS = ("about", "email", "name", "text", "request", "purpose", "jurisdiction", "country")
FORM = "complaints/form.html"
# Translated when a page is rendered (the language is the request's).
TITLE = "Make a complaint"


def _page(
    session: Session, template: str, *, status: int = 200, retry_after: int | None = None,
    **ctx: Any,
) -> HTMLResponse:  # fmt: skip
    datamap = service.datamap_or_none(session)
    html = render(
        template,
        org_name=letters.organization(session).name,
        purposes=[
            service.Purpose(p.key, translate.own(datamap, p.label))
            for p in service.purposes(session)
        ],
        jurisdictions=_laws(session, datamap),
        **ctx,
    )
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return HTMLResponse(html, status_code=status, headers=headers)


@router.get("", response_class=HTMLResponse)
def form(session: DbSession) -> HTMLResponse:
    """The empty complaint form."""
    return _page(session, FORM, title=_(TITLE), values={}, errors={})


# What the service refuses in one field, said to the person in the page's language.
_FIELD_SAID = {
    "request": lambda: _(
        "We found no request with this reference; it is in the emails we sent about your request."
    ),
    "purpose": lambda: _("Choose a purpose from the list."),
    "jurisdiction": lambda: _("Choose the law from the list, or let us work it out."),
}


# What the form's own checks refuse, said in the page's language; other problems (too long, not
# an email address) in the request form's words.
_MISSING = {
    "about": lambda: _("Choose what your complaint is about."),
    "text": lambda: _("Please write your complaint."),
    "request": lambda: _(
        "Give the reference of your request; it is in the emails we sent about it."
    ),
    "purpose": lambda: _("Choose a purpose from the list."),
}


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "form"
        said = _MISSING.get(name)
        message = said() if said and error["type"] != "string_too_long" else sentence(name, error)
        errors.setdefault(name if name in FIELDS else "form", message)
    return errors


def _laws(session: Session, datamap: DataMap | None) -> list[tuple[str, str]]:
    """The jurisdictions to choose from, named in the page's language."""
    names = {
        "gdpr": lambda: _("EU General Data Protection Regulation"),
        "uk_gdpr": lambda: _("UK General Data Protection Regulation"),
        "ccpa": lambda: _("California Consumer Privacy Act / CPRA"),
        "default": lambda: _("Default rules"),
    }
    out = []
    for j in jurisdictions.load(session).values():
        named = names.get(j.key)
        out.append((j.key, named() if named else translate.own(datamap, j.name)))
    return out


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
        # Letters in the language the person picked on the pages, else their browser's.
        "language": i18n.normalise(request.cookies.get(LANGUAGE_COOKIE.name))
        or wording.from_accept_language(request.headers.get("accept-language", "")),
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
            status, alert, retry_after = 429, exc.said(), exc.retry_after
        except service.FieldError as exc:
            said = _FIELD_SAID.get(exc.field)
            errors = {exc.field: said() if said else as_sentence(exc.message)}
        else:
            return _page(session, "complaints/received.html", title=_("Complaint received"),
                         complaint=row)  # fmt: skip
    return _page(
        session, FORM, status=status, retry_after=retry_after, title=_(TITLE), values=values,
        errors=errors, alert=alert,
    )  # fmt: skip
