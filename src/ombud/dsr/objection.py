"""Objection (GDPR Art. 21): direct marketing stops at once and for good; other processing on
legitimate interests stops unless staff show compelling legitimate grounds, purpose by
purpose, with a reason the person is told."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.consent import objections, optout
from ombud.consent.ledger import Context
from ombud.consent.objections import Objectable
from ombud.consent.schemas import Method
from ombud.dsr import carry_out, workflow
from ombud.dsr.carry_out import SYSTEM
from ombud.errors import Conflict, InvalidInput
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S


def _chosen(session: Session, request: PrivacyRequest) -> list[Objectable]:
    known = {o.key: o for o in objections.objectable_now(session)}
    keys = request.purposes or list(known)
    return [known[k] for k in keys if k in known]


def on_confirmed(session: Session, request: PrivacyRequest, *, actor: str) -> None:
    """The person is confirmed: stop direct marketing now; complete when nothing else needs
    weighing, else leave the rest to staff (``decide``)."""
    chosen = _chosen(session, request)
    marketing = [o for o in chosen if o.marketing]
    pending = [o for o in chosen if not o.marketing]
    _stop(session, request, marketing, actor=actor)
    request.result = {
        "type": request.type,
        "rights": {
            "handler": "objection",
            "stopped": [_item(o) for o in marketing],
            "continued": [],
            "pending": [_item(o) for o in pending],
        },
    }
    session.flush()
    if not pending:
        workflow.move(
            session,
            request,
            S.approved,
            actor=SYSTEM,
            action="approve",
            data={"why": "an objection to direct marketing is absolute (Art. 21(3) GDPR)"},
        )
        carry_out.run(session, request, actor=actor)


def _item(o: Objectable, reason: str = "") -> dict[str, Any]:
    return {"key": o.key, "title": o.title, "marketing": o.marketing, "reason": reason}


def _stop(
    session: Session, request: PrivacyRequest, chosen: list[Objectable], *, actor: str
) -> None:
    """Record the objections (and withdraw consented marketing) for every identity."""
    if not chosen:
        return
    who = carry_out.subjects(request)
    objections.record_objections(
        session,
        subjects=who,
        purposes=[o.key for o in chosen],
        request_id=request.id,
        actor=actor,
    )
    consented = [o.key for o in chosen if o.consent]
    if consented:
        purposes = carry_out.consent_purposes(session)
        optout.withdraw(
            session,
            subjects=who,
            purposes=[purposes[k] for k in consented if k in purposes],
            method=Method.request,
            context=Context(actor=actor, jurisdiction=request.jurisdiction),
            jurisdiction=request.jurisdiction,
            evidence={"request_id": request.id, "request_type": request.type},
        )


def decide(
    session: Session,
    request: PrivacyRequest,
    decisions: dict[str, tuple[bool, str]],
    *,
    actor: str,
) -> PrivacyRequest:
    """Staff decide every purpose still pending: uphold (processing stops) or override with
    the compelling legitimate grounds (told to the person); then the request completes."""
    if request.type != "objection":
        raise Conflict(f"request {request.id} is a {request.type} request, not an objection")
    done = dict((request.result or {}).get("rights") or {})
    pending = {p["key"]: p for p in done.get("pending") or []}
    if request.status != S.verified.value or not pending:
        raise Conflict(
            f"request {request.id} has no objection waiting for a decision (it is {request.status})"
        )
    unknown = sorted(set(decisions) - set(pending))
    missing = sorted(set(pending) - set(decisions))
    if unknown or missing:
        raise InvalidInput(
            "decisions: decide exactly the pending purposes "
            f"({', '.join(sorted(pending))})"
            + (f"; not pending: {', '.join(unknown)}" if unknown else "")
            + (f"; missing: {', '.join(missing)}" if missing else ""),
            detail={"pending": sorted(pending)},
        )
    for key, (uphold, reason) in decisions.items():
        if not uphold and len(reason.strip()) < 10:
            raise InvalidInput(
                f"decisions.{key}.reason: overriding an objection needs the compelling "
                "legitimate grounds, in words the person is told (at least 10 characters)"
            )
    known = {o.key: o for o in objections.objectable_now(session)}
    upheld = [known[k] for k, (u, _r) in decisions.items() if u and k in known]
    _stop(session, request, upheld, actor=actor)
    done["stopped"] = [*done.get("stopped", []), *[_item(o) for o in upheld]]
    done["continued"] = [
        {**pending[k], "reason": " ".join(r.split())} for k, (u, r) in decisions.items() if not u
    ]
    done["pending"] = []
    request.result = {"type": request.type, "rights": done}
    audit.record(
        session,
        action="request.objection_decided",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request.id,
        data={
            "upheld": sorted(o.key for o in upheld),
            "overridden": sorted(k for k, (u, _r) in decisions.items() if not u),
        },
    )
    workflow.move(session, request, S.approved, actor=actor, action="approve")
    return carry_out.run(session, request, actor=actor)


def result_of(session: Session, request: PrivacyRequest, *, actor: str) -> dict[str, Any]:
    """The result of an objection being completed: what ``decide`` recorded, or, for one
    approved as a whole, every chosen purpose stopped."""
    done = dict((request.result or {}).get("rights") or {})
    if done.get("pending"):
        raise Conflict(
            f"request {request.id}: decide the objection purpose by purpose first "
            f"(POST /api/v1/requests/{request.id}/objection)"
        )
    if not done:
        chosen = _chosen(session, request)
        _stop(session, request, chosen, actor=actor)
        done = {"stopped": [_item(o) for o in chosen], "continued": [], "pending": []}
    done["handler"] = "objection"
    return done
