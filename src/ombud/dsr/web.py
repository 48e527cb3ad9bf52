"""The public request form at ``/privacy/request`` (server-rendered, works without JavaScript)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ombud import config, i18n, ratelimit
from ombud.consent.cookies import LANGUAGE as LANGUAGE_COOKIE
from ombud.datamap import service as datamap_service
from ombud.db import DbSession
from ombud.deps import IdPath
from ombud.dsr import jurisdictions, letters, places, rights, service, wording
from ombud.dsr.formerrors import as_sentence, country_missing, country_unknown, sentence
from ombud.dsr.letters import TYPE_LABELS, TYPE_LABELS_DE
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.errors import InvalidInput, OmbudError, RateLimited
from ombud.execution.rectification import Current, current_values
from ombud.i18n import gettext as _
from ombud.models.requests import PrivacyRequest
from ombud.origin import SameOrigin
from ombud.web.brand import page_brand
from ombud.web.render import render

router = APIRouter(prefix="/privacy/request", include_in_schema=False)

FIELDS = (
    "type",
    "email",
    "phone",
    "account_id",
    "jurisdiction",
    "country",
    "details",
    "agent_name",
    "agent_contact",
    "encryption",
    "age_recipient",
    "passphrase",
    "passphrase_confirm",
    "rectification",
)
FORM = "dsr/request_form.html"
# Form inputs named ``correct:<key>`` carry a rectification's corrections.
CORRECT = "correct:"


def _places(session: Session) -> list[places.Place]:
    """The places the form offers, from the jurisdictions the data map names."""
    try:
        applies = datamap_service.get_current(session).organization.jurisdictions
    except OmbudError:
        applies = []
    return places.places(jurisdictions.load(session), applies, i18n.current())


def _page(
    session: Session,
    template: str,
    *,
    status: int = 200,
    retry_after: int | None = None,
    **ctx: Any,
) -> HTMLResponse:
    org = letters.organization(session)
    form = template == FORM
    html = render(
        template,
        org_name=org.name,
        brand=page_brand(session),
        # Only the types the data map in force can carry out (``ombud.dsr.rights``).
        types={
            t.value: (TYPE_LABELS_DE if i18n.current() == "de" else TYPE_LABELS)[t.value]
            for t in rights.offered(session)
        },
        places=_places(session) if form else [],
        other=places.OTHER,
        correctable=service.correctable_options(session) if form else [],
        **ctx,
    )
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return HTMLResponse(html, status_code=status, headers=headers)


@router.get("", response_class=HTMLResponse)
def form(session: DbSession) -> HTMLResponse:
    """The empty request form."""
    return _page(
        session, "dsr/request_form.html", title=_("Make a privacy request"), values={}, errors={}
    )


def _field_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        name = loc[0]
        if loc[0] == "agent":
            name = "agent_" + (loc[1] if len(loc) > 1 else "contact")
        elif loc[0] == "encryption" and len(loc) > 1:
            name = loc[1]
        elif loc[0] == "region":
            name = "country"
        errors.setdefault(name if name in FIELDS else "form", sentence(name, error))
    return errors


async def _corrections(request: Request) -> dict[str, str]:
    """The ``correct:<key>`` inputs of the posted form that were filled in."""
    form = await request.form()
    return {
        k.removeprefix(CORRECT): v.strip()
        for k, v in form.items()
        if k.startswith(CORRECT) and isinstance(v, str) and v.strip()
    }


def _current(session: Session, row: PrivacyRequest) -> tuple[list[Current], str]:
    """Right after the code was confirmed: each requested correction next to what we hold,
    read through the verified email alone."""
    if row.type != "rectification" or not row.rectification or not row.email:
        return [], ""
    try:
        datamap = datamap_service.get_current(session)
        connections = config.get_settings().connections
        found = current_values(
            datamap, row.id, row.email, row.rectification, connections=connections
        )
    except (OmbudError, SQLAlchemyError):
        return (
            [],
            "We cannot read the values we hold just now; we will check them with your request.",
        )
    return found, ""


@router.post("", response_class=HTMLResponse, dependencies=[SameOrigin])
def submit(
    request: Request,
    session: DbSession,
    corrections: Annotated[dict[str, str], Depends(_corrections)],
    type: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    account_id: Annotated[str, Form()] = "",
    jurisdiction: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    details: Annotated[str, Form()] = "",
    on_behalf: Annotated[str, Form()] = "",
    agent_name: Annotated[str, Form()] = "",
    agent_contact: Annotated[str, Form()] = "",
    age_recipient: Annotated[str, Form()] = "",
    passphrase: Annotated[str, Form()] = "",
    passphrase_confirm: Annotated[str, Form()] = "",
) -> Response:
    """Check the form; show errors next to their fields or send the code and move on."""
    # The passphrase is never put back into the page: a page may be cached or shared.
    values = {
        "type": type,
        "email": email,
        "phone": phone,
        "account_id": account_id,
        "jurisdiction": jurisdiction,
        "country": country,
        "details": details,
        "on_behalf": on_behalf,
        "agent_name": agent_name,
        "agent_contact": agent_contact,
        "age_recipient": age_recipient,
        **{CORRECT + k: v for k, v in corrections.items()},
    }
    raw: dict[str, Any] = {
        "type": type,
        "email": email.strip(),
        "phone": phone.strip() or None,
        "account_id": account_id.strip() or None,
        "jurisdiction": jurisdiction or None,
        "details": details,
        # Letters in the language the person picked on the pages, else the one their browser
        # asks for, when Ombud writes it (else the data map's).
        "language": i18n.normalise(request.cookies.get(LANGUAGE_COOKIE.name))
        or wording.from_accept_language(request.headers.get("accept-language", "")),
    }
    # Where the person lives is chosen from the list: nothing silently gets the general rules.
    where = places.choose(_places(session), country) if country.strip() else None
    raw["country"], raw["region"] = where or (None, None)
    if type == "rectification":
        raw["rectification"] = corrections or None
    if on_behalf:
        raw["agent"] = {"name": agent_name.strip(), "contact": agent_contact.strip()}
    if age_recipient.strip() or passphrase:
        raw["encryption"] = {
            "age_recipient": age_recipient.strip() or None,
            "passphrase": passphrase or None,
        }
    errors: dict[str, str] = {}
    data: PrivacyRequestCreate | None = None
    status, alert, retry_after = 422, "", None
    try:
        data = PrivacyRequestCreate.model_validate(raw)
    except ValidationError as exc:
        errors = _field_errors(exc)
    if where is None:
        errors["country"] = country_missing() if not country.strip() else country_unknown()
        data = None
    if passphrase != passphrase_confirm:
        errors.setdefault("passphrase_confirm", _("The two passphrases differ; type it again."))
        data = None
    if data is not None:
        try:
            ratelimit.check(request, scope="intake", address=data.email)
            row = service.submit(session, data=data, source="web")
        except RateLimited as exc:
            # What the visitor typed stays in the form; the page says when to send it again.
            status, alert, retry_after = 429, exc.said(), exc.retry_after
        except InvalidInput as exc:
            field = "country" if "jurisdiction" in exc.message else "type"
            if exc.message.startswith("rectification"):
                field = "rectification"
            errors = {field: as_sentence(exc.message)}
        else:
            return RedirectResponse(f"/privacy/request/{row.id}/verify", status_code=303)
    return _page(
        session,
        "dsr/request_form.html",
        status=status,
        retry_after=retry_after,
        title=_("Make a privacy request"),
        values=values,
        errors=errors,
        alert=alert,
    )


@router.get("/{request_id}/verify", response_class=HTMLResponse)
def verify_form(request_id: IdPath, session: DbSession, code: str = "") -> HTMLResponse:
    """Ask for the emailed code (the emailed link fills it in; confirming still needs a click)."""
    row = service.get(session, request_id)
    if row.status != "awaiting_verification":
        return _page(session, "dsr/received.html", title=_("Request received"), request=row)
    return _page(
        session,
        "dsr/verify.html",
        title=_("Confirm your request"),
        request=row,
        code=code,
        error="",
    )


@router.post("/{request_id}/verify", response_class=HTMLResponse, dependencies=[SameOrigin])
def verify(
    request_id: IdPath, request: Request, session: DbSession, code: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Check the code; a wrong one shows the form again with the error."""
    try:
        ratelimit.check(request, scope="verify", target=request_id)
    except RateLimited as exc:
        row = service.get(session, request_id)
        return _page(
            session,
            "dsr/verify.html",
            status=429,
            retry_after=exc.retry_after,
            title=_("Confirm your request"),
            request=row,
            code=code,
            error=exc.said(),
        )
    outcome = service.verify(session, request_id, code=code)
    if outcome.status == 429:
        ratelimit.refused(request, "verify")
    if outcome.ok:
        # Only here, after the code: a request id alone never shows what we hold.
        current, problem = _current(session, outcome.request)
        return _page(
            session,
            "dsr/received.html",
            title=_("Request confirmed"),
            request=outcome.request,
            current=current,
            current_problem=problem,
        )
    return _page(
        session,
        "dsr/verify.html",
        status=outcome.status,
        title=_("Confirm your request"),
        request=outcome.request,
        code="",
        error=str(outcome.phrase) if outcome.phrase is not None else outcome.message,
    )


@router.post("/{request_id}/resend", response_class=HTMLResponse, dependencies=[SameOrigin])
def resend(request_id: IdPath, request: Request, session: DbSession) -> HTMLResponse:
    """Send a new code."""
    row = service.get(session, request_id)
    try:
        ratelimit.check(request, scope="resend", address=row.email, target=request_id)
    except RateLimited as exc:
        return _page(
            session,
            "dsr/verify.html",
            status=429,
            retry_after=exc.retry_after,
            title=_("Confirm your request"),
            request=row,
            code="",
            error=exc.said(),
        )
    row = service.resend(session, request_id)
    return _page(
        session,
        "dsr/verify.html",
        title=_("Confirm your request"),
        request=row,
        code="",
        error="",
        notice=_("We sent you a new code."),
    )
