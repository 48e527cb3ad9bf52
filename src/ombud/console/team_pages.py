"""``/staff/team`` (admins): staff accounts, roles, disabling, new passwords, API tokens and
the second-factor requirement; the same services as ``ombud users`` and ``ombud tokens``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ombud.console import totp
from ombud.console.web import ConsoleIdentity, page, redirect
from ombud.db import DbSession
from ombud.deps import ConsoleAdmin
from ombud.errors import OmbudError
from ombud.models.staff import Role
from ombud.staff import accounts
from ombud.staff import service as staff_service

router = APIRouter(prefix="/staff/team", include_in_schema=False)

Email = Annotated[str, Form(max_length=320)]
Short = Annotated[str, Form(max_length=200)]

DONE = {
    "created": "Account created.",
    "role": "Role changed.",
    "disabled": "Account disabled: its sessions and tokens no longer work.",
    "enabled": "Account enabled.",
    "revoked": "Token revoked.",
}


def _team(
    session: Session,
    me: ConsoleIdentity,
    *,
    status: int = 200,
    error: str = "",
    done: str = "",
    secret: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        me,
        "staff/team.html",
        title="Team",
        current="/staff/team",
        status=status,
        users=staff_service.list_users(session),
        tokens=staff_service.list_tokens(session),
        roles=[r.value for r in Role],
        totp_required=totp.required(session),
        error=error,
        done=DONE.get(done, ""),
        secret=secret,
    )


def _act(session: Session, me: ConsoleIdentity, done: str, work: Callable[[], Any]) -> Response:
    """Run one change; back to the page with its outcome, or the page with the error."""
    try:
        with session.begin_nested():
            work()
    except OmbudError as exc:
        return _team(session, me, status=exc.status, error=exc.message)
    return redirect(f"/staff/team?done={done}")


@router.get("", response_class=HTMLResponse)
def team(session: DbSession, me: ConsoleAdmin, done: str = "") -> HTMLResponse:
    """Every staff account and API token."""
    return _team(session, me, done=done)


@router.post("/users", response_class=HTMLResponse)
def create_user(
    session: DbSession, me: ConsoleAdmin, email: Email, role: Short, name: Short = ""
) -> Response:
    """A new account with a random first password, shown once."""
    try:
        with session.begin_nested():
            password = accounts.new_password()
            user = staff_service.create_user(
                session, email=email, password=password, role=role, name=name, actor=me.email
            )
    except OmbudError as exc:
        return _team(session, me, status=exc.status, error=exc.message)
    secret = {"what": f"First password of {user.email}", "value": password}
    return _team(session, me, done="created", secret=secret)


@router.post("/users/role", response_class=HTMLResponse)
def set_role(session: DbSession, me: ConsoleAdmin, email: Email, role: Short) -> Response:
    """Give a staff member another role."""
    return _act(
        session,
        me,
        "role",
        lambda: accounts.set_role(session, email=email, role=role, actor=me.email),
    )


@router.post("/users/active", response_class=HTMLResponse)
def set_active(session: DbSession, me: ConsoleAdmin, email: Email, active: Short) -> Response:
    """Disable or enable an account."""
    on = active == "on"
    return _act(
        session,
        me,
        "enabled" if on else "disabled",
        lambda: accounts.set_active(session, email=email, active=on, actor=me.email),
    )


@router.post("/users/password", response_class=HTMLResponse)
def reset_password(session: DbSession, me: ConsoleAdmin, email: Email) -> Response:
    """A new random password for the account, shown once."""
    try:
        with session.begin_nested():
            password = accounts.reset_password(session, email=email, actor=me.email)
    except OmbudError as exc:
        return _team(session, me, status=exc.status, error=exc.message)
    secret = {"what": f"New password of {email.strip().lower()}", "value": password}
    return _team(session, me, secret=secret)


@router.post("/tokens", response_class=HTMLResponse)
def create_token(
    session: DbSession,
    me: ConsoleAdmin,
    email: Email,
    name: Short,
    role: Short = "",
    expires_in_days: Annotated[int | None, Form(ge=1, le=3650)] = None,
) -> Response:
    """An API token for a staff member, shown once."""
    try:
        with session.begin_nested():
            issued = staff_service.create_token(
                session, email=email, name=name, role=role or None, expires_in_days=expires_in_days
            )
    except OmbudError as exc:
        return _team(session, me, status=exc.status, error=exc.message)
    secret = {
        "what": f"API token {issued.token.name} of {email.strip().lower()}",
        "value": issued.secret,
    }
    return _team(session, me, secret=secret)


@router.post("/tokens/revoke", response_class=HTMLResponse)
def revoke_token(session: DbSession, me: ConsoleAdmin, prefix: Short) -> Response:
    """Revoke a token by its prefix."""
    return _act(
        session,
        me,
        "revoked",
        lambda: staff_service.revoke_token(session, prefix=prefix, actor=me.email),
    )
