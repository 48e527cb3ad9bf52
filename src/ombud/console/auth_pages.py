"""Console sign-in pages: password, second factor, sign out (here and everywhere)."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from ombud import ratelimit
from ombud.console import csrf, sessions, totp
from ombud.console.web import (
    COOKIE,
    LOGIN,
    LOGIN_COOKIE,
    clear_session_cookie,
    page,
    redirect,
    safe_next,
    set_session_cookie,
)
from ombud.db import DbSession
from ombud.deps import ConsoleUser, SettingsDep
from ombud.errors import RateLimited, Unauthorized
from ombud.models.console import StaffSession

router = APIRouter(prefix="/staff", include_in_schema=False)

Text = Annotated[str, Form(max_length=400)]
Next = Annotated[str, Form(max_length=400)]


def _login_page(
    seed: str,
    settings: SettingsDep,
    *,
    next_: str,
    error: str = "",
    status: int = 200,
    signed_out: bool = False,
) -> HTMLResponse:
    response = page(
        None,
        "staff/login.html",
        title="Sign in",
        status=status,
        error=error,
        signed_out=signed_out,
        next=next_,
        csrf_token=csrf.token(settings, f"login:{seed}"),
    )
    response.set_cookie(
        LOGIN_COOKIE,
        seed,
        path=LOGIN,
        httponly=True,
        secure=settings.base_url.startswith("https://"),
        samesite="lax",
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    settings: SettingsDep,
    next: Annotated[str, Query(max_length=400)] = "/staff",
    signed_out: Annotated[str, Query(max_length=1)] = "",
) -> HTMLResponse:
    """The sign-in form."""
    seed = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    return _login_page(seed, settings, next_=safe_next(next), signed_out=signed_out == "1")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    email: Text,
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Next = "/staff",
) -> Response:
    """Check the password (with lockout); open a session or ask for the second factor."""
    seed = request.cookies.get(LOGIN_COOKIE, "")
    # No cookie: the form was not loaded from this site (or the cookie was lost).
    csrf.check(settings, f"login:{seed}", csrf_token if seed else None)
    target = safe_next(next)
    ip = ratelimit.client_ip(request)
    try:
        user = sessions.check_password(session, settings, email=email, password=password, ip=ip)
    except (Unauthorized, RateLimited) as exc:
        # Returned, not raised: the counted failure must be committed.
        status = 429 if isinstance(exc, RateLimited) else 401
        return _login_page(seed, settings, next_=target, error=exc.message, status=status)
    second = totp.enabled(session, user.id)
    opened = sessions.open_session(session, settings, user, needs_second_factor=second)
    if not second:
        sessions.succeeded(session, user)
    response = redirect(f"{LOGIN}/code?next={target}" if second else target)
    set_session_cookie(response, settings, opened.secret)
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN)
    return response


def _pending(request: Request, session: DbSession, settings: SettingsDep) -> StaffSession | None:
    secret = request.cookies.get(COOKIE)
    row = sessions.resume(session, settings, secret) if secret else None
    return row if row is not None and row.needs_second_factor else None


@router.get("/login/code", response_class=HTMLResponse)
def code_form(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    next: Annotated[str, Query(max_length=400)] = "/staff",
) -> Response:
    """The second-factor form, after the password."""
    if _pending(request, session, settings) is None:
        return redirect(LOGIN)
    token = csrf.token(settings, request.cookies.get(COOKIE, ""))
    return page(
        None, "staff/code.html", title="Second factor", next=safe_next(next), csrf_token=token
    )


@router.post("/login/code", response_class=HTMLResponse)
def check_code(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=40)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Next = "/staff",
) -> Response:
    """Check the TOTP or a recovery code (failures count towards the lockout)."""
    row = _pending(request, session, settings)
    if row is None:
        return redirect(LOGIN)
    secret = request.cookies.get(COOKIE, "")
    csrf.check(settings, secret, csrf_token)
    ip = ratelimit.client_ip(request)
    user = row.user
    error = ""
    try:
        sessions.check_unlocked(session, email=user.email, ip=ip)
        if totp.verify(session, settings, user, code):
            sessions.second_factor_given(session, row, user)
            sessions.succeeded(session, user)
            return redirect(safe_next(next))
        sessions.count_failure(session, settings, email=user.email, ip=ip)
        error, status = "That code is not right; try the one your app shows now.", 401
    except RateLimited as exc:
        error, status = exc.message, 429
    return page(
        None,
        "staff/code.html",
        title="Second factor",
        status=status,
        error=error,
        next=safe_next(next),
        csrf_token=csrf.token(settings, secret),
    )


@router.post("/logout")
def logout(session: DbSession, settings: SettingsDep, me: ConsoleUser) -> Response:
    """Sign out of this browser."""
    sessions.sign_out(session, me.session)
    response = redirect(f"{LOGIN}?signed_out=1")
    clear_session_cookie(response, settings)
    return response


@router.post("/logout/everywhere")
def logout_everywhere(session: DbSession, settings: SettingsDep, me: ConsoleUser) -> Response:
    """Sign out of every browser this account is signed in on."""
    sessions.sign_out_everywhere(session, me.session)
    response = redirect(f"{LOGIN}?signed_out=1")
    clear_session_cookie(response, settings)
    return response
