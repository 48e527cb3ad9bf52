"""Restriction of processing (GDPR Art. 18): a flag in the consent ledger that the bulk check
returns, the flag columns the data map marks in the company's databases, and a hold that
keeps the rows from retention while restricted. Lifting is a staff action that tells the
person first (Art. 18(3))."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.consent import objections
from ombud.datamap import service as datamap_service
from ombud.datamap.rights import restriction_flags
from ombud.dsr import carry_out, hints, letters
from ombud.errors import Conflict, NotFound
from ombud.execution import flags
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S
from ombud.webhooks import service as webhooks


def _set_flags(session: Session, request: PrivacyRequest, *, on: bool) -> dict[str, int]:
    try:
        datamap = datamap_service.get_current(session)
    except NotFound:
        return {}
    settings = config.get_settings()
    return flags.set_restriction(
        datamap, settings.connections, hints.search_identities(request), on=on
    )


def carry_out_restriction(
    session: Session, request: PrivacyRequest, *, actor: str
) -> dict[str, Any]:
    """Set the flag columns, then the ledger's restriction; what was done."""
    changed = _set_flags(session, request, on=True)
    who = carry_out.subjects(request)
    objections.restrict(session, subjects=who, request_id=request.id, actor=actor)
    webhooks.emit(session, "restriction.set", {"request_id": request.id, "type": request.type})
    try:
        marked = [
            f"{d}.{c}.{f}" for d, c, f in restriction_flags(datamap_service.get_current(session))
        ]
    except NotFound:
        marked = []
    return {
        "handler": "restriction",
        "restricted": True,
        "identities": len(who),
        "flags": changed,
        "flag_fields": marked,
        "lifted_at": None,
    }


def lift(session: Session, request: PrivacyRequest, *, actor: str, reason: str) -> PrivacyRequest:
    """Lift a restriction: the letter to the person is queued first, then the flag columns
    and the ledger's restriction are cleared (all in one transaction)."""
    done = dict((request.result or {}).get("rights") or {})
    if request.type != "restriction" or request.status != S.completed.value:
        raise Conflict(
            f"request {request.id} is not a completed restriction (it is a {request.status} "
            f"{request.type} request)"
        )
    if not done.get("restricted") or done.get("lifted_at"):
        raise Conflict(f"the restriction of request {request.id} was already lifted")
    letters.send(session, request, "restriction_lift", actor=actor, reason=reason)
    cleared = _set_flags(session, request, on=False)
    freed = objections.lift(session, request_id=request.id)
    webhooks.emit(session, "restriction.lifted", {"request_id": request.id, "type": request.type})
    done.update(
        lifted_at=utcnow().isoformat(), lifted_by=actor, lift_reason=reason, cleared=cleared
    )
    request.result = {**(request.result or {}), "rights": done}
    session.flush()
    audit.record(
        session,
        action="request.restriction_lifted",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request.id,
        data={"identities": freed, "flags": cleared},
    )
    return request
