"""The signed-in user's account page: second factor (TOTP) and, for admins, requiring it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from ombud.console import repository, totp
from ombud.console.web import ENROL, page, redirect
from ombud.db import DbSession
from ombud.deps import ConsoleAdmin, ConsoleUser, SettingsDep
from ombud.errors import InvalidInput
from ombud.notify import service as notify_service

router = APIRouter(prefix="/staff", include_in_schema=False)

Code = Annotated[str, Form(max_length=40)]


def _account(session: DbSession, me: ConsoleUser, error: str = "") -> HTMLResponse:
    row = repository.totp(session, me.user.id)
    return page(
        me,
        "staff/account.html",
        title="Your account",
        current="/staff/account",
        enabled=row is not None and row.confirmed_at is not None,
        recovery_left=len(row.recovery_hashes) if row is not None else 0,
        required=totp.required(session),
        error=error,
        notifications=me.user.notifications,
    )


@router.get("/account", response_class=HTMLResponse)
def account(session: DbSession, me: ConsoleUser) -> HTMLResponse:
    """Your account: second factor and signing out everywhere."""
    return _account(session, me)


@router.get("/account/second-factor", response_class=HTMLResponse)
def second_factor(session: DbSession, me: ConsoleUser) -> HTMLResponse:
    """The second-factor page (where a user lands when an admin requires one)."""
    return _account(session, me)


@router.post("/account/second-factor/start", response_class=HTMLResponse)
def start(session: DbSession, settings: SettingsDep, me: ConsoleUser) -> HTMLResponse:
    """A new secret and its QR code, to scan with an authenticator app."""
    enrolment = totp.start_enrolment(session, settings, me.user)
    return page(me, "staff/enrol.html", title="Set up a second factor", enrolment=enrolment)


@router.post("/account/second-factor/confirm", response_class=HTMLResponse)
def confirm(session: DbSession, settings: SettingsDep, me: ConsoleUser, code: Code) -> Response:
    """Confirm with a first code; shows the recovery codes once."""
    try:
        codes = totp.confirm(session, settings, me.user, code)
    except InvalidInput as exc:
        row = repository.totp(session, me.user.id)
        if row is None:
            return redirect(ENROL)
        enrolment = totp.enrolment(settings, me.user, row)
        return page(
            me,
            "staff/enrol.html",
            title="Set up a second factor",
            status=422,
            enrolment=enrolment,
            error=exc.message,
        )
    return page(me, "staff/recovery.html", title="Your recovery codes", codes=codes)


@router.post("/account/second-factor/remove")
def remove(session: DbSession, settings: SettingsDep, me: ConsoleUser, code: Code) -> Response:
    """Remove your second factor (needs a current code); refused when an admin requires one."""
    if totp.required(session):
        return _account(session, me, error="An admin requires a second factor; keep yours.")
    if not totp.verify(session, settings, me.user, code):
        return _account(session, me, error="That code is not right; nothing was changed.")
    totp.remove(session, me.user, actor=me.email)
    return redirect("/staff/account")


@router.post("/account/require-second-factor")
def require_second_factor(
    session: DbSession, me: ConsoleAdmin, required: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    """Admin: require a second factor of every staff user (or stop requiring it)."""
    totp.set_required(session, required == "on", actor=me.email)
    return redirect("/staff/account")


@router.post("/account/notifications")
def notifications(
    session: DbSession, me: ConsoleUser, enabled: Annotated[str, Form(max_length=5)] = ""
) -> Response:
    """Turn your mail about verified requests and the daily deadline digest on or off."""
    notify_service.set_notifications(
        session, email=me.email, enabled=enabled == "on", actor=me.email
    )
    return redirect("/staff/account")
