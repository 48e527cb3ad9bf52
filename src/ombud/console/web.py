"""What every console page shares: who is signed in, the CSRF check, cookies and rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ombud.config import Settings
from ombud.console import csrf, sessions, totp
from ombud.errors import Forbidden, OmbudError, SeeOther
from ombud.models.console import StaffSession
from ombud.models.staff import ROLE_RANK, Role, StaffUser
from ombud.web.render import render

COOKIE = "ombud_staff"
LOGIN_COOKIE = "ombud_staff_login"
LOGIN = "/staff/login"
ENROL = "/staff/account/second-factor"
# Pages a signed-in user may open before enrolling a required second factor.
_ENROL_PATHS = (ENROL, "/staff/logout")

# The navigation; ``console-ops`` and later helpers add their pages here.
NAV: list[tuple[str, str]] = [
    ("Dashboard", "/staff"),
    ("Requests", "/staff/requests"),
    ("New request", "/staff/requests/new"),
    ("People", "/staff/people"),
    ("Complaints", "/staff/complaints"),
    ("Data map", "/staff/datamap"),
    ("Statement", "/staff/statement"),
    ("Retention", "/staff/retention"),
    ("Audit", "/staff/audit"),
    ("Team", "/staff/team"),
]
# Pages of the navigation that need more than the viewer role (hidden from those without it).
NAV_ROLES: dict[str, Role] = {
    "/staff/requests/new": Role.privacy_officer,
    "/staff/team": Role.admin,
}


@dataclass(frozen=True)
class ConsoleIdentity:
    """The signed-in staff member of a console request, and their session's CSRF token."""

    user: StaffUser
    session: StaffSession
    csrf: str

    @property
    def email(self) -> str:
        """The actor name audit entries record."""
        return self.user.email

    def can(self, role: Role) -> bool:
        """True when the user's role is at least ``role``."""
        return ROLE_RANK[Role(self.user.role)] >= ROLE_RANK[role]


def _sign_in_again(request: Request) -> SeeOther:
    target = request.url.path
    if request.url.query and request.method == "GET":
        target += "?" + request.url.query
    return SeeOther("sign in to use the staff console", location=f"{LOGIN}?next={quote(target)}")


async def sent_csrf(request: Request) -> str | None:
    """The CSRF token of a POST: the htmx header or the form field."""
    header = request.headers.get(csrf.HEADER)
    if header:
        return header
    form = await request.form()
    value = form.get(csrf.FIELD)
    return value if isinstance(value, str) else None


async def identify(request: Request, session: Session, settings: Settings) -> ConsoleIdentity:
    """The signed-in user, or a redirect to the sign-in page; POSTs must carry the CSRF token."""
    secret = request.cookies.get(COOKIE)
    row = await run_in_threadpool(sessions.resume, session, settings, secret) if secret else None
    if row is None or row.needs_second_factor:
        raise _sign_in_again(request)
    if request.method not in ("GET", "HEAD"):
        csrf.check(settings, secret or "", await sent_csrf(request))
    if not request.url.path.startswith(_ENROL_PATHS):
        must = await run_in_threadpool(_must_enrol, session, row.user_id)
        if must:
            raise SeeOther("set up a second factor first", location=ENROL)
    return ConsoleIdentity(row.user, row, csrf.token(settings, secret or ""))


def _must_enrol(session: Session, user_id: str) -> bool:
    return totp.required(session) and not totp.enabled(session, user_id)


def require(ident: ConsoleIdentity, role: Role) -> None:
    """``Forbidden`` unless the signed-in user has at least ``role``."""
    if not ident.can(role):
        raise Forbidden(f"this needs role {role.value}; you are {ident.user.role}")


def set_session_cookie(response: Response, settings: Settings, secret: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure behind https, console paths only."""
    response.set_cookie(
        COOKIE,
        secret,
        max_age=settings.console_session_hours * 3600,
        path="/staff",
        httponly=True,
        secure=settings.base_url.startswith("https://"),
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Forget the session cookie in this browser."""
    response.delete_cookie(
        COOKIE,
        path="/staff",
        httponly=True,
        secure=settings.base_url.startswith("https://"),
        samesite="lax",
    )


def redirect(location: str) -> RedirectResponse:
    """303 to another console page (what a form post answers without htmx)."""
    return RedirectResponse(location, status_code=303)


def attempt(
    session: Session,
    work: Callable[[], Any],
    *,
    done_url: str,
    on_error: Callable[[OmbudError], Response],
) -> Response:
    """Run one action in a savepoint: on success go to ``done_url``; a refusal rolls the action
    back and answers with ``on_error`` (its page, with the message)."""
    try:
        with session.begin_nested():
            work()
    except OmbudError as exc:
        return on_error(exc)
    return redirect(done_url)


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path only, never another site."""
    if value and value.startswith("/staff") and not value.startswith("//") and "\\" not in value:
        return value
    return "/staff"


def page(
    ident: ConsoleIdentity | None,
    template: str,
    *,
    title: str,
    status: int = 200,
    current: str = "",
    **context: Any,
) -> HTMLResponse:
    """Render a console page with the layout's navigation, user and CSRF token."""
    token = ident.csrf if ident else str(context.pop("csrf_token", ""))
    html = render(
        template,
        title=title,
        me=ident,
        csrf_token=token,
        nav=[
            (label, href)
            for label, href in NAV
            if ident is None or ident.can(NAV_ROLES.get(href, Role.viewer))
        ],
        current=current,
        Role=Role,
        **context,
    )
    return HTMLResponse(html, status_code=status)
