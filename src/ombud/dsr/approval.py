"""The data map's approval rule: verified requests approved automatically, or after one or
two staff approvals (two distinct staff members)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.dsr import corrections
from ombud.errors import Conflict, OmbudError
from ombud.models.requests import PrivacyRequest

POLICY_ACTOR = "approval policy"
NEEDED = {"auto": 0, "one": 1, "two": 2}


def needed(request: PrivacyRequest) -> int:
    """How many staff approvals the request's rule asks for."""
    return NEEDED.get(request.approval_policy or "one", 1)


def auto_ready(request: PrivacyRequest) -> bool:
    """True when the rule approves the verified request by itself and nothing is missing."""
    if needed(request) != 0:
        return False
    try:
        corrections.check_ready(request)
    except OmbudError:  # a rectification without corrections waits for staff
        return False
    return True


def record(session: Session, request: PrivacyRequest, *, actor: str) -> bool:
    """Count ``actor``'s approval; True when the request now has as many as its rule needs."""
    given = [dict(a) for a in request.approvals or []]
    if any(a.get("by") == actor for a in given):
        raise Conflict(
            f"{actor} already approved request {request.id}; its rule "
            f"({request.approval_rule or 'default'}) needs a second approval from another "
            "staff member"
        )
    given.append({"by": actor, "at": utcnow().isoformat()})
    request.approvals = given  # a new list, so the JSON column is written
    if len(given) >= max(needed(request), 1):
        return True
    audit.record(
        session,
        action="request.approval_recorded",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request.id,
        data={"approvals": len(given), "needed": needed(request), "rule": request.approval_rule},
    )
    return False
