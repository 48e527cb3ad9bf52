"""The request state machine: every allowed transition is listed in ONE table below."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.dsr import hints
from ombud.errors import Conflict
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S
from ombud.webhooks import callbacks

# from-state -> states it may move to. Anything else is refused with a 409.
TRANSITIONS: dict[S, frozenset[S]] = {
    S.received: frozenset({S.awaiting_verification, S.verified, S.denied, S.cancelled}),
    # awaiting -> awaiting: a new code was sent, or staff asked for more proof.
    # awaiting_verification -> awaiting_authorization: an agent's request the person
    # confirmed, still without the agent's written permission (CCPA § 7063).
    S.awaiting_verification: frozenset(
        {S.awaiting_verification, S.awaiting_authorization, S.verified, S.denied, S.cancelled}
    ),
    S.awaiting_authorization: frozenset(
        {S.awaiting_verification, S.verified, S.denied, S.cancelled}
    ),
    S.verified: frozenset({S.awaiting_verification, S.approved, S.denied, S.cancelled}),
    # approved -> in_progress also when staff mark a request done by hand.
    S.approved: frozenset({S.in_progress, S.cancelled}),
    S.in_progress: frozenset({S.completed, S.failed}),
    # A failed execution may be retried or given up.
    S.failed: frozenset({S.in_progress, S.cancelled}),
    S.denied: frozenset(),
    # Staff reopen a completed request (audited, with a reason): it is approved again.
    S.completed: frozenset({S.approved}),
    S.cancelled: frozenset(),
}

CLOSED = frozenset({S.denied, S.completed, S.cancelled})
OPEN = frozenset(S) - CLOSED


def allowed(current: str, target: str) -> bool:
    """True when the table allows ``current`` -> ``target``."""
    return S(target) in TRANSITIONS[S(current)]


def check(request: PrivacyRequest, target: S, *, action: str) -> None:
    """Raise ``Conflict`` explaining why ``request`` cannot move to ``target``."""
    current = S(request.status)
    if target in TRANSITIONS[current]:
        return
    nexts = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none, it is closed"
    raise Conflict(
        f"cannot {action} request {request.id}: it is {current.value}, and {current.value} "
        f"cannot become {target.value} (allowed next states: {nexts})",
        detail={"status": current.value, "target": target.value},
    )


def move(
    session: Session,
    request: PrivacyRequest,
    target: S,
    *,
    actor: str,
    action: str,
    data: dict[str, Any] | None = None,
) -> PrivacyRequest:
    """Apply an allowed transition, stamp its time and audit it."""
    check(request, target, action=action)
    previous = request.status
    now = utcnow()
    request.status = target.value
    if target is S.verified and request.verified_at is None:
        request.verified_at = now
    if target in (S.verified, S.awaiting_authorization):
        # The person answered at this address (by code, or staff saw proof): it may seed.
        hints.confirm_email(request)
    if target in (S.approved, S.denied):
        request.decided_at = now
    if target in CLOSED:
        request.closed_at = now
        # Completed, denied or cancelled: no package will be built, so the passphrase goes.
        request.package_passphrase_sealed = None
    elif S(previous) in CLOSED:
        request.closed_at = None  # reopened
    audit.record(
        session,
        action="request.status_changed",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request.id,
        data={"from": previous, "to": target.value, "action": action, **(data or {})},
    )
    # Webhook events and OpenDSR callbacks, queued in this transaction, sent after it.
    callbacks.request_status_changed(session, request, previous)
    if target is S.verified:
        _after_verified(session, request)
    # The one place manual tasks are opened: when a request is approved, and when one starts
    # from approved (a row approved before tasks existed gets its tasks then; for the others
    # this finds them all open already and does nothing).
    if target is S.approved or (target is S.in_progress and S(previous) is S.approved):
        _open_manual_tasks(session, request, actor=actor)
    return request


def _after_verified(session: Session, request: PrivacyRequest) -> None:
    """Approve at once when the data map's rule says so; otherwise tell the staff."""
    # Imported here: both modules move requests through this one (an import cycle otherwise).
    from ombud.dsr import approval
    from ombud.notify import service as notify

    if approval.auto_ready(request):
        move(
            session,
            request,
            S.approved,
            actor=approval.POLICY_ACTOR,
            action="approve automatically",
            data={"rule": request.approval_rule},
        )
    else:
        notify.request_verified(session, request)


def _open_manual_tasks(session: Session, request: PrivacyRequest, *, actor: str) -> None:
    """Systems without a connector get their task, however the request was approved (by
    staff, by the data map's rule, or at once for a type that needs no decision); idempotent:
    one task per system and request, however often this runs."""
    # Imported here: the manual domain reads requests through this module's callers.
    from ombud import config
    from ombud.manual import service as manual_service

    manual_service.open_for_request(session, config.get_settings(), request, actor=actor)
