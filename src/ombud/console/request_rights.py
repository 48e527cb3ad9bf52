"""Staff actions beyond the decision on a request, from its page: mark done by hand, reopen,
decide an objection purpose by purpose, lift a restriction (the person told first) and mail a
manual task's owner a new link. Each is a form post calling the same services as the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from ombud.console.request_actions import Reason, act
from ombud.console.request_pages import actions, render_request
from ombud.console.web import redirect
from ombud.db import DbSession
from ombud.deps import ConsoleOfficer, IdPath, SettingsDep
from ombud.dsr import by_hand, letters, service
from ombud.errors import Conflict, InvalidInput, NotFound, OmbudError
from ombud.manual import service as manual_service

router = APIRouter(prefix="/staff/requests/{request_id}", include_in_schema=False)

# The form's choice per purpose, as the service takes it (True: the processing stops).
UPHOLD = {"uphold": True, "refuse": False}
FormList = Annotated[list[str] | None, Form()]


def _reason(value: str, what: str) -> str:
    """A reason the person is told: as the API's schema, at least 3 characters."""
    value = value.strip()
    if len(value) < 3:
        raise InvalidInput(f"reason: say why {what} (at least 3 characters)")
    return value


@router.post("/done")
def mark_done(session: DbSession, me: ConsoleOfficer, request_id: IdPath, note: Reason) -> Response:
    """Complete the request by hand; the completion letter quotes the note."""
    return act(
        session,
        me,
        request_id,
        "done-by-hand",
        lambda: by_hand.mark_done(session, request_id, actor=me.email, note=note),
    )


@router.post("/reopen")
def reopen(session: DbSession, me: ConsoleOfficer, request_id: IdPath, reason: Reason) -> Response:
    """Reopen a completed request: it is approved again (the reason kept as a note)."""
    return act(
        session,
        me,
        request_id,
        "reopen",
        lambda: by_hand.reopen(
            session, request_id, actor=me.email, reason=_reason(reason, "it is reopened")
        ),
    )


def _decisions(
    purposes: list[str], choices: list[str], reasons: list[str]
) -> dict[str, tuple[bool, str]]:
    """The form's rows as the service's decisions; ``InvalidInput`` naming a bad row."""
    if not purposes or len(purposes) != len(choices) or len(purposes) != len(reasons):
        raise InvalidInput("decisions: decide every pending purpose (one choice and reason each)")
    out: dict[str, tuple[bool, str]] = {}
    for key, choice, reason in zip(purposes, choices, reasons, strict=True):
        if len(key) > 200 or len(reason) > 5000:
            raise InvalidInput(f"decisions.{key[:200]}: at most 5000 characters of reason")
        if choice not in UPHOLD:
            raise InvalidInput(
                f"decisions.{key}: choose uphold (it stops) or refuse (it continues)"
            )
        if key in out:
            raise InvalidInput(f"decisions.{key}: each purpose may be decided once")
        out[key] = (UPHOLD[choice], reason)
    return out


@router.post("/objection")
def decide_objection(
    session: DbSession,
    me: ConsoleOfficer,
    request_id: IdPath,
    purpose: FormList = None,
    decision: FormList = None,
    reason: FormList = None,
) -> Response:
    """Uphold or refuse each pending purpose of an objection; the request then runs."""
    purposes, choices, reasons = purpose or [], decision or [], reason or []
    try:
        with session.begin_nested():
            decisions = _decisions(purposes, choices, reasons)
            by_hand.decide_objection(session, request_id, decisions, actor=me.email)
    except OmbudError as exc:
        # The page again with what was entered, so a short reason is fixed, not retyped.
        entered = dict(zip(purposes, zip(choices, reasons, strict=False), strict=False))
        return render_request(
            session, me, request_id, status=exc.status, error=exc.message, entered=entered
        )
    return redirect(f"/staff/requests/{request_id}?done=objection")


@router.post("/restriction/letter", response_class=HTMLResponse)
def lift_letter(
    session: DbSession, me: ConsoleOfficer, request_id: IdPath, reason: Reason
) -> HTMLResponse:
    """The letter the person gets before the restriction is lifted, to read first."""
    try:
        row = service.get(session, request_id)
        if not actions(row)["lift"]:
            raise Conflict(f"request {request_id} has no restriction in force to lift")
        text = _reason(reason, "the restriction is lifted; the letter quotes it")
        subject, body = letters.draft(session, row, "restriction_lift", reason=text)
    except OmbudError as exc:
        return render_request(session, me, request_id, status=exc.status, error=exc.message)
    lift = {"subject": subject, "text": body, "reason": text}
    return render_request(session, me, request_id, lift_letter=lift)


@router.post("/restriction/lift")
def lift(session: DbSession, me: ConsoleOfficer, request_id: IdPath, reason: Reason) -> Response:
    """Send the letter, then clear the flags and the ledger's restriction (Art. 18(3))."""
    return act(
        session,
        me,
        request_id,
        "lift",
        lambda: by_hand.lift_restriction(
            session,
            request_id,
            actor=me.email,
            reason=_reason(reason, "the restriction is lifted; the letter quotes it"),
        ),
    )


@router.post("/tasks/{task_id}/resend")
def resend_link(
    session: DbSession,
    settings: SettingsDep,
    me: ConsoleOfficer,
    request_id: IdPath,
    task_id: IdPath,
) -> Response:
    """Mail a manual task's owner a new link; the earlier links stop working."""

    def work() -> None:
        if manual_service.get(session, task_id).request_id != request_id:
            raise NotFound(f"request {request_id} has no manual task {task_id}")
        manual_service.resend(session, settings, task_id, actor=me.email)

    return act(session, me, request_id, "resend", work)
