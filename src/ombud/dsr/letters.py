"""Letters to the person: rendered from Jinja2 templates, sent over SMTP, kept with the request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ombud import config, mail
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.datamap import service as datamap_service
from ombud.errors import Conflict, NotFound
from ombud.models.requests import PrivacyRequest, RequestMessage
from ombud.web.render import render

KINDS = {
    "verification": "Confirm your privacy request",
    "acknowledgement": "We received your privacy request",
    "more_proof": "We need more information to confirm your identity",
    "extension": "We need more time to answer your privacy request",
    "denial": "Our answer to your privacy request",
    "completion": "Your privacy request is complete",
}

TYPE_LABELS = {
    "access": "see the personal data we hold about you",
    "portability": "receive your data in a portable format",
    "rectification": "correct your personal data",
    "erasure": "delete your personal data",
    "restriction": "restrict the processing of your personal data",
    "objection": "object to the processing of your personal data",
    "withdraw_consent": "withdraw your consent",
    "opt_out_sale": "opt out of the sale or sharing of your personal information",
    "limit_sensitive": "limit the use of your sensitive personal information",
}

WITHHELD = "[withheld: sent to the person only]"


@dataclass(frozen=True)
class Organization:
    """Who the letters come from and whom to complain to, from the data map."""

    name: str
    contact: str
    authority_name: str
    authority_contact: str


def organization(session: Session) -> Organization:
    """The organization's name, contact and supervisory authority, from the data map."""
    try:
        org = datamap_service.get_current(session).organization
    except NotFound:
        return Organization("our organization", config.get_settings().mail_sender, "", "")
    contact = next(
        (
            c
            for c in (
                org.privacy_contact.email if org.privacy_contact else "",
                org.dpo.email if org.dpo else "",
                *(e.email for e in org.legal_entities),
            )
            if c
        ),
        config.get_settings().mail_sender,
    )
    authority = org.supervisory_authority
    return Organization(
        name=org.name,
        contact=contact,
        authority_name=authority.name if authority else "",
        authority_contact=(authority.url or authority.email) if authority else "",
    )


def send(
    session: Session,
    request: PrivacyRequest,
    kind: str,
    *,
    actor: str,
    secret: dict[str, str] | None = None,
    **context: Any,
) -> RequestMessage:
    """Render, send and keep one letter; ``secret`` values reach the mail only, never the store."""
    if request.email is None:
        raise Conflict(f"request {request.id} was purged; no letter can be sent")
    settings = config.get_settings()
    org = organization(session)
    base = {
        "org": org,
        "request": request,
        "type_label": TYPE_LABELS.get(request.type, request.type),
        "base_url": settings.base_url.rstrip("/"),
        **context,
    }
    subject = f"{KINDS[kind]} ({org.name})"
    template = f"email/{kind}.txt"
    text = render(template, **base, **(secret or {}))
    kept = render(template, **base, **dict.fromkeys(secret or {}, WITHHELD))
    message_id = mail.send_mail(settings, to=request.email, subject=subject, text=text)
    message = RequestMessage(
        request_id=request.id,
        kind=kind,
        to=request.email,
        subject=subject,
        body=kept,
        sent_at=utcnow(),
    )
    session.add(message)
    session.flush()
    audit.record(
        session,
        action="request.message_sent",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request.id,
        data={"kind": kind, "message_id": message.id, "smtp_message_id": message_id},
    )
    return message
