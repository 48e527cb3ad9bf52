"""Decisions on one request from its page: each a form post that returns to the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Engine

from ombud.console.request_pages import render_request
from ombud.console.web import ConsoleIdentity, attempt, redirect
from ombud.db import DbSession, after_commit
from ombud.deps import ConsoleOfficer, IdPath, SettingsDep
from ombud.dsr import hints, queue, service
from ombud.errors import OmbudError
from ombud.execution.endpoints import run_now

router = APIRouter(prefix="/staff/requests/{request_id}", include_in_schema=False)

Reason = Annotated[str, Form(max_length=5000)]
HintId = Annotated[str, Path(max_length=32)]


def act(
    session: DbSession,
    me: ConsoleIdentity,
    request_id: str,
    done: str,
    work: Callable[[], Any],
) -> Response:
    """Run one decision; back to the page with its outcome, or the page with the error."""
    return attempt(
        session,
        work,
        done_url=f"/staff/requests/{request_id}?done={done}",
        on_error=lambda exc: render_request(
            session, me, request_id, status=exc.status, error=exc.message
        ),
    )


@router.post("/approve")
def approve(
    request: Request, session: DbSession, me: ConsoleOfficer, request_id: IdPath, note: Reason = ""
) -> Response:
    """Approve a verified request for execution."""
    runner = getattr(request.app.state, "execution_runner", None)

    outcome = ["approve"]

    def work() -> None:
        row = service.approve(session, request_id, actor=me.email, note=note)
        # Still verified: a two-approval rule waits for another staff member. (Rights carried
        # out at approval, such as a restriction, are already in progress or completed.)
        if row.status == "verified":
            outcome[0] = "approval-recorded"
        if runner is not None:
            # Named, as the API's approval names it: run at once, without a look for work.
            after_commit(session, lambda: runner.wake([request_id]))

    response = act(session, me, request_id, "approve", work)
    if outcome[0] != "approve" and response.status_code == 303:
        return redirect(f"/staff/requests/{request_id}?done={outcome[0]}")
    return response


@router.post("/deny/letter", response_class=HTMLResponse)
def deny_letter(
    session: DbSession, me: ConsoleOfficer, request_id: IdPath, reason: Reason
) -> HTMLResponse:
    """The denial letter as it would be sent, to read before sending."""
    try:
        subject, text = service.denial_letter(session, request_id, reason=reason)
    except OmbudError as exc:
        return render_request(session, me, request_id, status=exc.status, error=exc.message)
    return render_request(
        session, me, request_id, letter={"subject": subject, "text": text, "reason": reason}
    )


@router.post("/deny")
def deny(session: DbSession, me: ConsoleOfficer, request_id: IdPath, reason: Reason) -> Response:
    """Refuse the request; the person gets the letter shown before."""
    return act(
        session,
        me,
        request_id,
        "deny",
        lambda: service.deny(session, request_id, actor=me.email, reason=reason),
    )


@router.post("/extend")
def extend(session: DbSession, me: ConsoleOfficer, request_id: IdPath, reason: Reason) -> Response:
    """Extend the deadline once, telling the person why."""
    return act(
        session,
        me,
        request_id,
        "extend",
        lambda: service.extend(session, request_id, actor=me.email, reason=reason),
    )


@router.post("/request-proof")
def request_proof(
    session: DbSession, me: ConsoleOfficer, request_id: IdPath, reason: Reason
) -> Response:
    """Ask the person for more proof of identity (the clock pauses)."""
    return act(
        session,
        me,
        request_id,
        "proof",
        lambda: service.request_proof(session, request_id, actor=me.email, message=reason),
    )


@router.post("/proof-received")
def proof_received(
    session: DbSession, me: ConsoleOfficer, request_id: IdPath, note: Reason = ""
) -> Response:
    """Record the person's proof (the clock resumes)."""
    return act(
        session,
        me,
        request_id,
        "proof-received",
        lambda: service.proof_received(session, request_id, actor=me.email, note=note),
    )


@router.post("/cancel")
def cancel(session: DbSession, me: ConsoleOfficer, request_id: IdPath, reason: Reason) -> Response:
    """Cancel the request."""
    return act(
        session,
        me,
        request_id,
        "cancel",
        lambda: service.cancel(session, request_id, actor=me.email, reason=reason),
    )


@router.post("/run")
def run(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    me: ConsoleOfficer,
    request_id: IdPath,
) -> Response:
    """Run an approved (or failed) request now, in this process."""
    engine: Engine = request.app.state.engine
    try:
        run_now(session, engine, settings, request_id, actor=me.email)
    except OmbudError as exc:
        return render_request(session, me, request_id, status=exc.status, error=exc.message)
    return redirect(f"/staff/requests/{request_id}?done=run")


@router.post("/notes")
def add_note(session: DbSession, me: ConsoleOfficer, request_id: IdPath, text: Reason) -> Response:
    """Keep an internal note with the request."""
    return act(
        session,
        me,
        request_id,
        "note",
        lambda: service.add_note(session, request_id, actor=me.email, text=text),
    )


@router.post("/assign")
def assign(
    session: DbSession,
    me: ConsoleOfficer,
    request_id: IdPath,
    assignee: Annotated[str, Form(max_length=320)] = "",
    reason: Reason = "",
) -> Response:
    """Give the request to a staff member, or to nobody."""
    return act(
        session,
        me,
        request_id,
        "assign",
        lambda: queue.assign(
            session, request_id, assignee=assignee or None, actor=me.email, reason=reason
        ),
    )


@router.post("/hints/{hint_id}/accept")
def accept_hint(
    session: DbSession,
    me: ConsoleOfficer,
    request_id: IdPath,
    hint_id: HintId,
    reason: Reason,
    proof: Reason,
) -> Response:
    """Let an identity the person gave seed the search: why, and what proof you saw."""
    return act(
        session,
        me,
        request_id,
        "hint",
        lambda: hints.accept(
            session, request_id, hint_id, actor=me.email, reason=reason, proof=proof
        ),
    )


@router.post("/hints/{hint_id}/reject")
def reject_hint(
    session: DbSession, me: ConsoleOfficer, request_id: IdPath, hint_id: HintId, reason: Reason
) -> Response:
    """Record that an identity the person gave will not be used, and why."""
    return act(
        session,
        me,
        request_id,
        "hint",
        lambda: hints.reject(session, request_id, hint_id, actor=me.email, reason=reason),
    )
