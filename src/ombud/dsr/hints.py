"""Identity hints: identities a requester gave that nobody verified, and staff decisions on them.

Only verified identities seed the search for a person's data: the email once its code is
confirmed, and a hint once a privacy officer accepted it with a reason and the proof they saw.
A phone number or account id typed into a form proves nothing about who typed it."""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.dsr import repository
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
# A hint may be decided while the request has not started running.
DECIDABLE = frozenset(
    {S.received, S.awaiting_verification, S.awaiting_authorization, S.verified, S.approved}
)
SUBJECT = "privacy_request"


def make(kind: str, value: str, *, source: str, fmt: str = "raw") -> dict[str, Any]:
    """A new pending hint."""
    return {
        "id": secrets.token_hex(4),
        "type": kind,
        "value": value.strip(),
        "format": fmt,
        "source": source,
        "status": PENDING,
    }


def search_identities(request: PrivacyRequest) -> dict[str, str]:
    """The identities that may seed the search: the verified email and accepted hints only.

    Checked against the hints rather than trusted from ``identities`` alone, so a value that
    reached that column any other way (an old row, a hand edit) seeds nothing."""
    accepted = {
        (h["type"], h["value"]) for h in request.identity_hints or [] if h["status"] == ACCEPTED
    }
    out: dict[str, str] = {}
    for kind, value in (request.identities or {}).items():
        if not value:
            continue
        if (kind == "email" and value == request.email) or (kind, value) in accepted:
            out[kind] = str(value)
    return out


def confirm_email(request: PrivacyRequest) -> None:
    """The person proved they read this address: it may now seed the search."""
    if request.email:
        request.identities = {**(request.identities or {}), "email": request.email}


def _find(request: PrivacyRequest, hint_id: str) -> dict[str, Any]:
    for hint in request.identity_hints or []:
        if hint["id"] == hint_id:
            return dict(hint)
    raise NotFound(f"request {request.id} has no identity hint {hint_id}")


def _check_decidable(request: PrivacyRequest, hint: dict[str, Any], verb: str) -> None:
    if S(request.status) not in DECIDABLE:
        raise Conflict(
            f"cannot {verb} identity hint {hint['id']}: request {request.id} is {request.status}; "
            "hints are decided before the request runs"
        )
    if hint["status"] != PENDING:
        raise Conflict(f"identity hint {hint['id']} was already {hint['status']}")


def _mentions(text: str, value: str) -> bool:
    """Whether ``text`` writes out ``value`` (also as its digits, for phone numbers)."""
    if value.lower() in text.lower():
        return True
    digits = re.sub(r"\D", "", value)
    return len(digits) >= 5 and digits in re.sub(r"\D", "", text)


def plain_text(value: str, name: str) -> str:
    """Staff-written text kept in the audit log: at least 3 characters, no control characters."""
    value = (value or "").strip()
    if len(value) < 3:
        raise InvalidInput(f"{name} is required (3 characters or more)")
    if any(ord(c) < 32 and c not in "\n\t" for c in value) or "\x7f" in value:
        raise InvalidInput(f"{name}: control characters are not allowed")
    return value


def _text(value: str, name: str, hint: dict[str, Any]) -> str:
    value = plain_text(value, name)
    if _mentions(value, str(hint["value"])):
        # The audit log is append-only and outlives the request's purge.
        raise InvalidInput(
            f"{name}: describe the proof without writing the {hint['type']} itself; the "
            "audit log keeps this text after the request is purged"
        )
    return value


def _store(request: PrivacyRequest, hint: dict[str, Any]) -> None:
    # A new list, so the JSON column is seen as changed.
    request.identity_hints = [
        hint if h["id"] == hint["id"] else h for h in request.identity_hints or []
    ]


def accept(
    session: Session, request_id: str, hint_id: str, *, actor: str, reason: str, proof: str
) -> PrivacyRequest:
    """Let a hint seed the search, recording who decided, why, and what proof they saw."""
    request = _locked(session, request_id)
    hint = _find(request, hint_id)
    _check_decidable(request, hint, "accept")
    if hint["format"] != "raw":
        raise Conflict(
            f"identity hint {hint_id} is a {hint['format']} hash; only a value in clear can "
            "be searched for, so ask the person for it"
        )
    kind = str(hint["type"])
    if (request.identities or {}).get(kind):
        raise Conflict(
            f"request {request_id} already searches with a verified {kind}; a request searches "
            "with one value per identity type, so reject this hint or ask for a new request"
        )
    reason, proof = _text(reason, "reason", hint), _text(proof, "proof", hint)
    hint.update(status=ACCEPTED, decided_by=actor, decided_at=utcnow().isoformat(), reason=reason)
    hint["proof"] = proof
    _store(request, hint)
    request.identities = {**(request.identities or {}), kind: str(hint["value"])}
    session.flush()
    audit.record(
        session,
        action="request.identity_hint_accepted",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={
            "hint_id": hint_id,
            "type": kind,
            "source": hint["source"],
            "reason": reason,
            "proof": proof,
        },
    )
    return request


def reject(
    session: Session, request_id: str, hint_id: str, *, actor: str, reason: str
) -> PrivacyRequest:
    """Record that a hint will not be used, and why."""
    request = _locked(session, request_id)
    hint = _find(request, hint_id)
    _check_decidable(request, hint, "reject")
    reason = _text(reason, "reason", hint)
    hint.update(status=REJECTED, decided_by=actor, decided_at=utcnow().isoformat(), reason=reason)
    _store(request, hint)
    session.flush()
    audit.record(
        session,
        action="request.identity_hint_rejected",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"hint_id": hint_id, "type": hint["type"], "source": hint["source"], "reason": reason},
    )
    return request


def _locked(session: Session, request_id: str) -> PrivacyRequest:
    request = repository.get_for_update(session, request_id)
    if request is None:
        raise NotFound(f"no privacy request with id {request_id}")
    return request
