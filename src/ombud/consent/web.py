"""Public consent pages: preference center, subscribe, confirm, unsubscribe, receipts, GPC."""

from __future__ import annotations

import hmac
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ombud import keys, ratelimit
from ombud.config import Settings
from ombud.consent import banner_link, gpc, ledger, preferences, receipts, service, tokens
from ombud.consent import cookies as own_cookies
from ombud.consent.ledger import Context, Subject
from ombud.consent.purposes import Purpose, list_purposes, org_name, shown_in_force
from ombud.db import DbSession
from ombud.deps import SettingsDep
from ombud.errors import InvalidInput, OmbudError, RateLimited
from ombud.i18n import gettext as _
from ombud.origin import SameOrigin
from ombud.web.brand import page_brand
from ombud.web.render import render

router = APIRouter(include_in_schema=False)

DEVICE_COOKIE = own_cookies.DEVICE.name
SESSION_COOKIE = own_cookies.PREFERENCES_SESSION.name


def labels() -> dict[str | None, str]:
    """Each state of a purpose in the page's language."""
    return {
        "granted": _("Given"),
        "refused": _("Refused"),
        "withdrawn": _("Withdrawn"),
        None: _("Not asked yet"),
    }


def methods() -> dict[str, str]:
    """How a decision was made, in the words of the person who made it."""
    return {
        "web_form": _("a form on our website"),
        "preference_center": _("this preference center"),
        "api": _("our service"),
        "email_link": _("a link in an email"),
        "banner": _("the cookie banner"),
        "gpc": _("your browser's privacy signal"),
        "import": _("our earlier records"),
    }


def _context(request: Request, source: str) -> Context:
    """Where a decision comes from, with the client's full address: the ledger truncates it
    where it is stored (truncating here too made every choice fail)."""
    ip = request.client.host if request.client else None
    try:
        ledger.check_ip(ip)
    except InvalidInput:
        ip = None  # test clients and unix sockets have no IP address
    return Context(
        source_url=str(request.base_url).rstrip("/") + source,
        user_agent=request.headers.get("user-agent", "")[:500] or None,
        ip=ip,
    )


def _page(
    session: Session,
    template: str,
    status: int = 200,
    retry_after: int | None = None,
    **ctx: Any,
) -> HTMLResponse:
    # The header names the organisation of the data map in force ("Privacy" without one).
    name = org_name(session)
    html = render(
        template, brand=page_brand(session), **({"org_name": name} if name else {}), **ctx
    )
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return HTMLResponse(html, status_code=status, headers=headers)


def _link_error(session: Session, exc: OmbudError) -> HTMLResponse:
    title = _("This link has expired") if exc.status == 410 else _("This link is not valid")
    return _page(
        session, "consent/message.html", exc.status, title=title, message=exc.said(), alert=True
    )


def _csrf(settings: Settings, session_value: str, key: bytes | None = None) -> str:
    key = key or keys.current(settings, keys.CSRF)
    return hmac.digest(key, f"csrf:{session_value}".encode(), "sha256").hex()


def _csrf_ok(settings: Settings, session_value: str, sent: str) -> bool:
    # A page rendered just before a key rotation still posts.
    return any(
        hmac.compare_digest(sent, _csrf(settings, session_value, key))
        for key in keys.accepted(settings, keys.CSRF)
    )


def _device_id(request: Request) -> tuple[str, bool]:
    value = request.cookies.get(DEVICE_COOKIE, "")
    try:
        return str(uuid.UUID(value)), False
    except ValueError:
        return str(uuid.uuid4()), True


def _apply_gpc(
    session: Session, request: Request, settings: Settings, subject: Subject | None
) -> tuple[bool, str, bool]:
    """Record a GPC/DNT signal for this browser (and the signed-in identity)."""
    device, new = _device_id(request)
    present, header = gpc.signal_present(request.headers, settings)
    if present:
        gpc.apply_signal(
            session,
            device_id=device,
            email=subject.value if subject else None,
            header=header,
            context=_context(request, request.url.path),
        )
    return present, device, new


def _remember_device(response: Response, settings: Settings, device: str, new: bool) -> None:
    if new:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=own_cookies.DEVICE.max_age_seconds,
            httponly=True,
            samesite="lax",
            secure=settings.base_url.startswith("https"),
        )


@router.get("/.well-known/gpc.json")
def gpc_json() -> JSONResponse:
    """State support for Global Privacy Control."""
    return JSONResponse(gpc.well_known())


@router.get("/privacy/preferences", response_class=HTMLResponse)
def preference_center(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    t: Annotated[str | None, Query()] = None,
    done: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Open the center from a signed link, or show it / the sign-in form."""
    if t is not None:
        try:
            opened = preferences.open_link(session, t, settings)
        except (tokens.InvalidLink, tokens.ExpiredLink) as exc:
            return _link_error(session, exc)
        ctx = _context(request, "/privacy/preferences")
        banner_link.on_verified(session, settings, request.cookies, opened, ctx)
        return _signed_in(opened, settings)
    cookie = request.cookies.get(SESSION_COOKIE)
    subject = preferences.load_session(cookie, settings, session)
    present, device, new = _apply_gpc(session, request, settings, subject)
    if subject is None or cookie is None:
        response: Response = _page(
            session,
            "consent/signin.html",
            title=_("Your privacy preferences"),
            **banner_link.for_page(session, settings, request.cookies),
        )
    else:
        response = _page(
            session,
            "consent/preferences.html",
            title=_("Your privacy preferences"),
            **_center(session, subject, settings, done),
            csrf=_csrf(settings, cookie),
            gpc=present,
            **banner_link.for_page(session, settings, request.cookies),
        )
    # Strictly necessary only to keep honouring a signal: no signal, no cookie.
    _remember_device(response, settings, device, new and present)
    return response


def _signed_in(subject: Subject, settings: Settings) -> RedirectResponse:
    response = RedirectResponse("/privacy/preferences", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        preferences.session_token(subject, settings),
        max_age=preferences.SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https"),
    )
    return response


def _choices(purposes: list[Purpose], current: dict[str, Any]) -> list[Purpose]:
    """Each purpose once: a consented use that subscriptions serve (the newsletter's
    ``marketing.communications.email``) is chosen through those subscriptions, so it is not
    offered again on its own unless the person granted it and may want to withdraw it."""
    served = {p.definition.data_use for p in purposes if p.definition.kind == "subscription"}
    shown = []
    for p in purposes:
        d = p.definition
        state = current.get(p.key)
        granted = state is not None and state.decision == "granted"
        if d.kind == "declaration" and d.data_use in served and not granted:
            continue
        shown.append(p)
    return shown


def _center(
    session: Session, subject: Subject, settings: Settings, done: str | None = None
) -> dict[str, Any]:
    current = {s.purpose: s for s in service.states(session, subject=subject)}
    purposes = list_purposes(session)
    said = {p.key: shown_in_force(session, p.definition) for p in purposes}
    titles = {key: words[0] for key, words in said.items()}
    items = []
    for p in _choices(purposes, current):
        st = current.get(p.key)
        decision = st.decision if st else None
        if decision == "granted":
            actions = [("withdrawn", _("Withdraw consent"))]
        elif decision is None:
            actions = [("granted", _("Yes, I agree")), ("refused", _("No, thank you"))]
        else:
            actions = [("granted", _("Yes, I agree"))]
        items.append(
            {
                "key": p.key,
                "title": said[p.key][0],
                "notice_text": said[p.key][1],
                "notice_version": p.notice.version,
                "notice_hash": p.notice.content_hash,
                "state_label": labels()[decision],
                "method": methods().get(st.method, "") if st else "",
                "actions": actions,
            }
        )
    history = [
        {
            "recorded_at": r.recorded_at.strftime("%Y-%m-%d %H:%M"),
            # A purpose no longer offered keeps its stored key: there is no title left for it.
            "purpose": titles.get(r.purpose, r.purpose.rsplit(".", 1)[-1].replace("_", " ")),
            "decision": labels().get(r.decision, r.decision),
            "method": methods().get(r.method, r.method),
            "notice_version": r.notice_version,
            "notice_hash": r.notice_hash,
            "receipt_url": receipts.receipt_link(r, settings),
        }
        for r in reversed(service.history(session, subject=subject))
    ]
    # ``done`` comes from the URL: only a purpose we offer is named back.
    saved = titles.get(done or "", "")
    return {"email": subject.value, "purposes": items, "history": history, "done": saved}


@router.post("/privacy/preferences", response_class=HTMLResponse, dependencies=[SameOrigin])
def change_preference(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    purpose: Annotated[str, Form(max_length=200)],
    decision: Annotated[str, Form(max_length=20)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    """Record one decision from the preference center, then show the center again."""
    cookie = request.cookies.get(SESSION_COOKIE)
    subject = preferences.load_session(cookie, settings, session)
    if subject is None or cookie is None:
        return _page(
            session,
            "consent/message.html",
            401,
            title=_("Please sign in again"),
            message=_("Your preferences session has ended; sign in again."),
            alert=True,
        )
    if not _csrf_ok(settings, cookie, csrf):
        return _page(
            session,
            "consent/message.html",
            403,
            title=_("Form expired"),
            message=_("This form is out of date; reload the page and try again."),
            alert=True,
        )
    rec = service.record_decision(
        session,
        email=subject.value,
        purpose=purpose,
        decision=decision,
        method="preference_center",
        context=_context(request, "/privacy/preferences"),
        evidence={"verified_by": "preference_session"},
    )
    return RedirectResponse(f"/privacy/preferences?done={rec.purpose}", status_code=303)


@router.post("/privacy/preferences/code", response_class=HTMLResponse, dependencies=[SameOrigin])
def send_code(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
) -> HTMLResponse:
    """Mail a one-time code (and a link) that opens the center."""
    subject = ledger.email_subject(email, settings)
    try:
        ratelimit.check(request, scope="preference_code", address=subject.value)
    except RateLimited as exc:
        return _page(
            session,
            "consent/signin.html",
            429,
            exc.retry_after,
            title=_("Your privacy preferences"),
            typed=email,
            error=exc.said(),
        )
    preferences.send_access_code(session, email=email, settings=settings)
    return _page(session, "consent/signin.html", title=_("Enter your code"), email=subject.value)


@router.post("/privacy/preferences/verify", response_class=HTMLResponse, dependencies=[SameOrigin])
def verify_code(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
    code: Annotated[str, Form(max_length=20)],
) -> Response:
    """Open the center when the code is right; wrong tries are counted and limited."""
    try:
        ratelimit.check(request, scope="preference_verify", target=email)
    except RateLimited as exc:
        return _page(
            session,
            "consent/signin.html",
            429,
            exc.retry_after,
            title=_("Enter your code"),
            email=email,
            error=exc.said(),
        )
    subject = preferences.verify_code(session, email=email, code=code, settings=settings)
    if subject is None:
        return _page(
            session,
            "consent/signin.html",
            400,
            title=_("Enter your code"),
            email=email,
            error=_("That code is wrong or has expired. Check the email or ask for a new code."),
        )
    ctx = _context(request, "/privacy/preferences/verify")
    banner_link.on_verified(session, settings, request.cookies, subject, ctx)
    return _signed_in(subject, settings)
