"""``/api/v1/requests``: public intake and code check, and the staff queue and decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from ombud import ratelimit
from ombud.db import DbSession, after_commit
from ombud.deps import IdPath, OfficerStaff, ViewerStaff
from ombud.dsr import agents, bulk, by_hand, hints, queue, schemas, schemas_intake, service
from ombud.dsr.opendsr import router as opendsr_router
from ombud.dsr.web import router as web_router
from ombud.errors import InvalidInput
from ombud.models.requests import PrivacyRequest as RequestRow
from ombud.models.staff import ApiToken

router = APIRouter(prefix="/api/v1/requests", tags=["requests"])


def _actor(token: ApiToken) -> str:
    return token.user.email


def to_schema(row: RequestRow) -> schemas.PrivacyRequest:
    """A request with its deadline flags."""
    item = service.flags(row)
    out = schemas.PrivacyRequest.model_validate(row)
    out.deadline, out.overdue, out.due_soon = item.deadline, item.overdue, item.due_soon
    return out


def _detail(session: DbSession, row: RequestRow) -> schemas.PrivacyRequestDetail:
    out = schemas.PrivacyRequestDetail(**to_schema(row).model_dump())
    out.messages = [schemas.Message.model_validate(m) for m in service.messages(session, row.id)]
    out.notes = [schemas.Note.model_validate(n) for n in service.notes(session, row.id)]
    return out


# ---------------------------------------------------------------- public
@router.post("", status_code=201, response_model=schemas_intake.Receipt)
def create_request(
    body: schemas_intake.PrivacyRequestCreate, request: Request, session: DbSession
) -> schemas_intake.Receipt:
    """Make a request (public); a code is emailed to confirm it unless none is needed."""
    ratelimit.check(request, scope="intake", address=body.email)
    row = service.submit(session, data=body, source="api")
    waiting = row.status == "awaiting_verification"
    message = (
        f"we emailed a code to {row.email}; the person sends it to confirm the request"
        if waiting and row.agent is not None
        else f"we emailed a code to {row.email}; send it to confirm the request"
        if waiting
        else "your request is carried out; we emailed you what we did"
        if row.status == "completed"
        else "your request is carried out in our own systems; the services we use are told "
        "now, and we email you once they confirm"
        if row.status == "in_progress"
        else "your request is received; no confirmation is needed for this type"
    )
    return schemas_intake.Receipt(id=row.id, status=row.status, due_on=row.due_on, message=message)


@router.post("/{request_id}/verify", response_model=schemas_intake.Receipt)
def verify_request(
    request_id: IdPath, body: schemas_intake.CodeSubmit, request: Request, session: DbSession
) -> schemas_intake.Receipt | JSONResponse:
    """Confirm a request with the emailed code (public)."""
    ratelimit.check(request, scope="verify", target=request_id)
    outcome = service.verify(session, request_id, code=body.code)
    if not outcome.ok:
        if outcome.status == 429:
            ratelimit.refused(request, "verify")
        # Returned, not raised, so the counted attempt is committed.
        return JSONResponse(
            {"error": outcome.message, "code": "verification_failed", "detail": None},
            status_code=outcome.status,
        )
    row = outcome.request
    return schemas_intake.Receipt(
        id=row.id, status=row.status, due_on=row.due_on, message=outcome.message
    )


@router.post("/{request_id}/resend", status_code=202, response_model=schemas_intake.Receipt)
def resend_code(request_id: IdPath, request: Request, session: DbSession) -> schemas_intake.Receipt:
    """Email a new code, replacing the old one (public)."""
    row = service.get(session, request_id)
    ratelimit.check(request, scope="resend", address=row.email, target=request_id)
    row = service.resend(session, request_id)
    return schemas_intake.Receipt(
        id=row.id, status=row.status, due_on=row.due_on, message="a new code was emailed"
    )


@router.get("/correctable", response_model=list[schemas.CorrectableOption])
def correctable_options(session: DbSession) -> list[schemas.CorrectableOption]:
    """What a rectification request may correct: its keys and plain labels (public)."""
    return [
        schemas.CorrectableOption(key=o.key, label=o.label, kind=o.kind, hint=o.hint)
        for o in service.correctable_options(session)
    ]


# ---------------------------------------------------------------- staff
@router.get("", response_model=schemas.PrivacyRequestList)
def list_requests(
    session: DbSession,
    _token: ViewerStaff,
    status: Annotated[str | None, Query(description="only this status")] = None,
    due_soon_days: Annotated[int, Query(ge=0, le=365)] = service.DUE_SOON_DAYS,
) -> schemas.PrivacyRequestList:
    """The queue: open requests (or one status), nearest deadline first, with flags."""
    items = service.queue(session, status=status, due_soon_days=due_soon_days)
    out = []
    for item in items:
        row = schemas.PrivacyRequest.model_validate(item.request)
        row.deadline, row.overdue, row.due_soon = item.deadline, item.overdue, item.due_soon
        out.append(row)
    return schemas.PrivacyRequestList(items=out)


@router.get("/{request_id}", response_model=schemas.PrivacyRequestDetail)
def show_request(
    request_id: IdPath, session: DbSession, _token: ViewerStaff
) -> schemas.PrivacyRequestDetail:
    """One request with its messages and notes."""
    return _detail(session, service.get(session, request_id))


@router.get("/{request_id}/messages", response_model=list[schemas.Message])
def list_messages(
    request_id: IdPath, session: DbSession, _token: ViewerStaff
) -> list[schemas.Message]:
    """Every letter sent to the person about this request."""
    return [schemas.Message.model_validate(m) for m in service.messages(session, request_id)]


@router.get("/{request_id}/notes", response_model=list[schemas.Note])
def list_notes(request_id: IdPath, session: DbSession, _token: ViewerStaff) -> list[schemas.Note]:
    """Staff notes on this request."""
    return [schemas.Note.model_validate(n) for n in service.notes(session, request_id)]


@router.post("/{request_id}/notes", status_code=201, response_model=schemas.Note)
def add_note(
    request_id: IdPath, body: schemas.NoteCreate, session: DbSession, token: OfficerStaff
) -> schemas.Note:
    """Add an internal note."""
    note = service.add_note(session, request_id, actor=_actor(token), text=body.text)
    return schemas.Note.model_validate(note)


@router.patch("/{request_id}/rectification", response_model=schemas.PrivacyRequestDetail)
def edit_corrections(
    request_id: str, body: schemas.CorrectionsEdit, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Replace the corrections of a rectification request before approval (audited)."""
    row = service.edit_corrections(
        session, request_id, actor=_actor(token), rectification=body.rectification
    )
    return _detail(session, row)


@router.post("/{request_id}/approve", response_model=schemas.PrivacyRequestDetail)
def approve(
    request_id: IdPath,
    request: Request,
    session: DbSession,
    token: OfficerStaff,
    body: schemas.OptionalNote | None = None,
) -> schemas.PrivacyRequestDetail:
    """Approve a verified request for execution."""
    note = body.note if body else ""
    row = service.approve(session, request_id, actor=_actor(token), note=note)
    runner = getattr(request.app.state, "execution_runner", None)
    if runner is not None:
        # The server (or its workers) runs requests: start now, not at the next interval.
        after_commit(session, lambda: runner.wake([request_id]))
    return _detail(session, row)


@router.post("/{request_id}/assign", response_model=schemas.PrivacyRequestDetail)
def assign(
    request_id: IdPath, body: schemas.Assignment, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Give the request to a staff member (by email), or to nobody with null."""
    row = queue.assign(
        session, request_id, assignee=body.assignee, actor=_actor(token), reason=body.reason
    )
    return _detail(session, row)


@router.post("/{request_id}/deny", response_model=schemas.PrivacyRequestDetail)
def deny(
    request_id: IdPath, body: schemas.Reason, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Refuse a request; the person gets the reasons and their right to complain."""
    row = service.deny(session, request_id, actor=_actor(token), reason=body.reason)
    return _detail(session, row)


@router.post("/{request_id}/extend", response_model=schemas.PrivacyRequestDetail)
def extend(
    request_id: IdPath, body: schemas.Reason, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Extend the deadline once, before the first deadline, telling the person why."""
    row = service.extend(session, request_id, actor=_actor(token), reason=body.reason)
    return _detail(session, row)


@router.post("/{request_id}/cancel", response_model=schemas.PrivacyRequestDetail)
def cancel(
    request_id: IdPath, body: schemas.Reason, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Cancel a request."""
    row = service.cancel(session, request_id, actor=_actor(token), reason=body.reason)
    return _detail(session, row)


@router.post("/{request_id}/request-proof", response_model=schemas.PrivacyRequestDetail)
def request_proof(
    request_id: IdPath, body: schemas.Reason, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Ask the person for more proof of identity; the deadline clock pauses."""
    row = service.request_proof(session, request_id, actor=_actor(token), message=body.reason)
    return _detail(session, row)


@router.post("/{request_id}/proof-received", response_model=schemas.PrivacyRequestDetail)
def proof_received(
    request_id: IdPath,
    session: DbSession,
    token: OfficerStaff,
    body: schemas.OptionalNote | None = None,
) -> schemas.PrivacyRequestDetail:
    """Record the person's proof; the clock resumes and deadlines move by the paused days."""
    note = body.note if body else ""
    row = service.proof_received(session, request_id, actor=_actor(token), note=note)
    return _detail(session, row)


@router.post("/{request_id}/done", response_model=schemas.PrivacyRequestDetail)
def mark_done(
    request_id: IdPath, body: schemas.DoneByHand, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Complete a request by hand (what cannot be automated); the letter quotes the note."""
    row = by_hand.mark_done(session, request_id, actor=_actor(token), note=body.note)
    return _detail(session, row)


@router.post("/{request_id}/reopen", response_model=schemas.PrivacyRequestDetail)
def reopen(
    request_id: IdPath, body: schemas.Reason, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Reopen a completed request: it is approved again (audited, the reason kept as a note)."""
    row = by_hand.reopen(session, request_id, actor=_actor(token), reason=body.reason)
    return _detail(session, row)


@router.post("/{request_id}/objection", response_model=schemas.PrivacyRequestDetail)
def decide_objection(
    request_id: IdPath, body: schemas.ObjectionDecisions, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Decide each pending purpose of an objection: uphold it, or override it with the
    compelling legitimate grounds the person is told; the request then completes."""
    decisions = {d.purpose: (d.uphold, d.reason) for d in body.decisions}
    if len(decisions) != len(body.decisions):
        raise InvalidInput("decisions: each purpose may be decided once")
    row = by_hand.decide_objection(session, request_id, decisions, actor=_actor(token))
    return _detail(session, row)


@router.post("/{request_id}/restriction/lift", response_model=schemas.PrivacyRequestDetail)
def lift_restriction(
    request_id: IdPath, body: schemas.Reason, session: DbSession, token: OfficerStaff
) -> schemas.PrivacyRequestDetail:
    """Lift a restriction (Art. 18(3)): the person's letter is queued first, then the flags
    in the company's databases and the ledger's restriction are cleared."""
    row = by_hand.lift_restriction(session, request_id, actor=_actor(token), reason=body.reason)
    return _detail(session, row)


@router.post("/{request_id}/hints/{hint_id}/accept", response_model=schemas.PrivacyRequestDetail)
def accept_hint(
    request_id: str,
    hint_id: Annotated[str, Path(max_length=32)],
    body: schemas.HintAccept,
    session: DbSession,
    token: OfficerStaff,
) -> schemas.PrivacyRequestDetail:
    """Let an identity hint seed the search: say why and what proof you saw (not the value)."""
    row = hints.accept(
        session, request_id, hint_id, actor=_actor(token), reason=body.reason, proof=body.proof
    )
    return _detail(session, row)


@router.post("/{request_id}/hints/{hint_id}/reject", response_model=schemas.PrivacyRequestDetail)
def reject_hint(
    request_id: str,
    hint_id: Annotated[str, Path(max_length=32)],
    body: schemas.Reason,
    session: DbSession,
    token: OfficerStaff,
) -> schemas.PrivacyRequestDetail:
    """Record that an identity hint will not be used, and why."""
    row = hints.reject(session, request_id, hint_id, actor=_actor(token), reason=body.reason)
    return _detail(session, row)


@router.post("/{request_id}/agent-permission", response_model=schemas.PrivacyRequestDetail)
async def attach_agent_permission(
    request_id: str,
    document: Annotated[UploadFile, File(description="the signed permission: PDF, PNG or JPEG")],
    description: Annotated[str, Form(max_length=2000)],
    session: DbSession,
    token: OfficerStaff,
) -> schemas.PrivacyRequestDetail:
    """Attach the agent's signed permission (CCPA § 7063); kept as evidence until purged."""
    data = await document.read(agents.MAX_BYTES + 1)
    row = await run_in_threadpool(
        agents.attach_permission,
        session,
        request_id,
        actor=_actor(token),
        data=data,
        description=description,
    )
    return await run_in_threadpool(_detail, session, row)


@router.get(
    "/{request_id}/agent-permission",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}}}},
)
def agent_permission_document(request_id: str, session: DbSession, token: OfficerStaff) -> Response:
    """Download the agent's permission document (audited under your name)."""
    data, record = agents.permission_document(session, request_id, actor=_actor(token))
    ext = str(record["file"]).rsplit(".", 1)[-1]
    return Response(
        data,
        media_type=str(record["content_type"]),
        headers={
            "Content-Disposition": f'attachment; filename="agent-permission-{request_id}.{ext}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


# ---------------------------------------------------------------- bulk (staff)
@router.post("/bulk", response_model=schemas.BulkResult)
def create_many(
    body: schemas.BulkCreate, session: DbSession, token: OfficerStaff
) -> schemas.BulkResult:
    """Record many requests at once (staff intake): per item, not all-or-nothing; each
    result gives the item's index and its request or why it was refused."""
    return bulk.create_many(session, body.items, actor=_actor(token))


@router.post("/approve", response_model=schemas.BulkResult)
def approve_many(
    body: schemas.BulkApprove, request: Request, session: DbSession, token: OfficerStaff
) -> schemas.BulkResult:
    """Approve many verified requests: per item; the approved ones start executing."""
    result = bulk.approve_many(session, body.ids, actor=_actor(token), note=body.note)
    runner = getattr(request.app.state, "execution_runner", None)
    approved = [r.id for r in result.items if r.id is not None]
    if runner is not None and approved:
        after_commit(session, lambda: runner.wake(approved))
    return result


routers = [router, opendsr_router, web_router]
