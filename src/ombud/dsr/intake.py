"""Receiving a request and confirming the person's identity by an emailed code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.dsr import (
    agents,
    carry_out,
    corrections,
    hints,
    jurisdictions,
    letters,
    repository,
    rights,
    sealing,
    verification,
    workflow,
)
from ombud.dsr.deadlines import Period, add_period
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.errors import Conflict, NotFound
from ombud.i18n import Lazy
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S
from ombud.phases import phase


@phase("intake")
def submit(
    session: Session,
    *,
    data: PrivacyRequestCreate,
    source: str,
    actor: str = "public",
    external_id: str | None = None,
    callback_urls: list[str] | None = None,
    received_at: datetime | None = None,
    extra_hints: list[dict[str, str]] | None = None,
    identity_checked_by: str | None = None,
    verified_by_staff: bool = False,
) -> PrivacyRequest:
    """Record a request, set its deadlines, and send the code (or acknowledge it if no code,
    or when staff already checked who the person is: ``identity_checked_by`` in the bulk API,
    ``verified_by_staff`` in the console and CLI)."""
    rules_by_key = jurisdictions.load(session)
    if data.jurisdiction:
        juris = jurisdictions.get(rules_by_key, data.jurisdiction)
    else:
        juris = rules_by_key[
            jurisdictions.infer(rules_by_key, country=data.country, region=data.region)
        ]
    rules = jurisdictions.rules_for(juris, data.type.value)
    fixes = corrections.check_request(
        session,
        data.type.value,
        data.rectification,
        required=source in ("web", "api", "staff", "import"),
    )
    purposes = carry_out.check_purposes(session, data.type.value, data.purposes)
    right = rights.of(data.type.value)
    needs_code = rights.needs_code(data.type.value, rules.verification)
    at = received_at or utcnow()
    received_on = at.date()
    email = data.email
    request = PrivacyRequest(
        type=data.type.value,
        status=S.received.value,
        jurisdiction=juris.key,
        email=email,
        # Nothing seeds the search until verified: the email joins ``identities`` when its
        # code is confirmed; everything else the requester typed is only a hint for staff.
        identities={},
        identity_hints=hint_list(data, source=source, extra=extra_hints),
        details=data.details.strip(),
        rectification=fixes,
        purposes=purposes,
        agent=data.agent.model_dump() if data.agent else None,
        source=source,
        external_id=external_id,
        callback_urls=callback_urls,
        country=(data.country or "").upper() or None,
        language=data.language,
        received_at=at,
        received_on=received_on,
        due_on=_due(received_on, rules.deadline, right.deadline),
        acknowledge_by=add_period(received_on, rules.acknowledge) if rules.acknowledge else None,
        paused_days=0,
        approval_policy=rules.approval,
        approval_rule=rules.approval_rule,
        approvals=[],
    )
    if data.encryption is not None:
        request.package_encryption = data.encryption.method
        request.package_recipient = data.encryption.age_recipient
        if data.encryption.passphrase is not None:
            request.package_passphrase_sealed = sealing.seal(
                config.get_settings(), data.encryption.passphrase.get_secret_value()
            )
    repository.add(session, request)
    # No identities here: the audit log is append-only and outlives the purge.
    audit.record(
        session,
        action="request.received",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request.id,
        data={
            "type": request.type,
            "jurisdiction": request.jurisdiction,
            "source": source,
            "agent": request.agent is not None,
            "identity_hints": [h["type"] for h in request.identity_hints],
            "due_on": request.due_on,
            "verification": needs_code,
            "approval": rules.approval,
            "package_encryption": request.package_encryption,
        },
    )
    # An agent's request is always confirmed by the person, at the person's address (§ 7063).
    checked = identity_checked_by is not None or verified_by_staff
    if checked and request.agent is None:
        workflow.move(session, request, S.verified, actor=actor, action="verified by staff")
        acknowledge(session, request, actor=actor)
    elif needs_code or request.agent is not None:
        _send_code(session, request, actor=actor, action="send code")
    else:
        workflow.move(session, request, S.verified, actor=actor, action="accept without code")
        acknowledge(session, request, actor=actor)
        carry_out.advance(session, request, actor=actor)
    return request


def _due(received_on: date, deadline: Period, cap: Period | None) -> date:
    """The jurisdiction's deadline, or the type's own when the law sets a shorter one."""
    due = add_period(received_on, deadline)
    return min(due, add_period(received_on, cap)) if cap is not None else due


def hint_list(
    data: PrivacyRequestCreate, *, source: str, extra: list[dict[str, str]] | None = None
) -> list[dict[str, Any]]:
    """The unverified identities of a submission, as pending hints."""
    origin = "agent" if data.agent is not None else source
    given = [("phone", data.phone), ("account_id", data.account_id)]
    out = [
        hints.make(kind, value, source=origin) for kind, value in given if value and value.strip()
    ]
    for item in extra or []:
        out.append(hints.make(item["type"], item["value"], source=origin, fmt=item["format"]))
    return out


def _send_code(session: Session, request: PrivacyRequest, *, actor: str, action: str) -> None:
    workflow.move(session, request, S.awaiting_verification, actor=actor, action=action)
    code = verification.issue(session, request.id)
    # In the fragment: browsers never send it, so it stays out of access logs and proxies;
    # static/dsr/verify.js copies it into the form.
    link = f"/privacy/request/{request.id}/verify#code={code}"
    ttl = config.get_settings().verification_code_ttl_minutes
    letters.send(
        session,
        request,
        "verification",
        actor=actor,
        secret={"code": code, "link_path": link},
        ttl_minutes=ttl,
    )


def acknowledge(session: Session, request: PrivacyRequest, *, actor: str) -> None:
    """Confirm receipt to the person with the deadline (once)."""
    if request.acknowledged_at is not None:
        return
    letters.send(session, request, "acknowledgement", actor=actor)
    request.acknowledged_at = utcnow()
    repository.flush(session)


def _get_locked(session: Session, request_id: str) -> PrivacyRequest:
    request = repository.get_for_update(session, request_id)
    if request is None:
        raise NotFound(f"no privacy request with id {request_id}")
    return request


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of a code attempt; failures are returned (not raised) so the attempt is kept."""

    ok: bool
    status: int
    message: str
    request: PrivacyRequest
    # The failure said in the language of the page that shows it (``message`` is English).
    phrase: Lazy | None = None


@phase("verification")
def verify(session: Session, request_id: str, *, code: str) -> VerifyResult:
    """Check a code; on success the request becomes verified and is acknowledged."""
    request = _get_locked(session, request_id)
    if request.status != S.awaiting_verification.value or request.paused_at is not None:
        raise Conflict(f"request {request_id} is not waiting for a code (it is {request.status})")
    result = verification.check(session, request.id, code)
    if not result.ok:
        audit.record(
            session,
            action="request.verification_failed",
            actor="public",
            subject_type="privacy_request",
            subject_id=request.id,
            data={"reason": result.reason},
        )
        status = 429 if result.reason == "locked" else 400
        status = 410 if result.reason == "expired" else status
        return VerifyResult(False, status, result.message, request, result.phrase)
    target = agents.after_confirmation(request)
    workflow.move(session, request, target, actor="public", action="confirm by code")
    acknowledge(session, request, actor="public")
    carry_out.advance(session, request, actor="public")
    if target is S.awaiting_authorization:
        return VerifyResult(
            True,
            200,
            "your request is confirmed; we act on it once we have your agent's written permission",
            request,
        )
    return VerifyResult(True, 200, "your request is confirmed", request)


def resend(session: Session, request_id: str) -> PrivacyRequest:
    """Send a new code, replacing the old one (which may be locked or expired)."""
    request = _get_locked(session, request_id)
    if request.status != S.awaiting_verification.value or request.paused_at is not None:
        raise Conflict(f"request {request_id} is not waiting for a code (it is {request.status})")
    _send_code(session, request, actor="public", action="send a new code")
    return request
