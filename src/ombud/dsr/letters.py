"""Letters to the person: rendered from Jinja2 templates, queued in the mail outbox (sent
after the commit), kept with the request."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.dsr import agents, jurisdictions, wording
from ombud.dsr.schemas_intake import agent_email
from ombud.errors import Conflict, NotFound
from ombud.models.base import new_id
from ombud.models.requests import PrivacyRequest, RequestMessage
from ombud.outbox import service as outbox
from ombud.phases import phase
from ombud.web.render import TEMPLATE_DIR, render

KINDS = {
    "verification": "Confirm your privacy request",
    "acknowledgement": "We received your privacy request",
    "more_proof": "We need more information to confirm your identity",
    "extension": "We need more time to answer your privacy request",
    "denial": "Our answer to your privacy request",
    "completion": "Your privacy request is complete",
    "new_link": "A new link to download your data",
    "restriction_lift": "We will lift the restriction of your data",
}
# Subjects in other languages; templates of a language live in ``email/<language>/``.
SUBJECTS = {
    "de": {
        "verification": "Bitte bestätigen Sie Ihre Datenschutzanfrage",
        "acknowledgement": "Wir haben Ihre Datenschutzanfrage erhalten",
        "more_proof": "Wir brauchen weitere Angaben, um Ihre Identität zu bestätigen",
        "extension": "Wir brauchen mehr Zeit für Ihre Datenschutzanfrage",
        "denial": "Unsere Antwort auf Ihre Datenschutzanfrage",
        "completion": "Ihre Datenschutzanfrage ist erledigt",
        "restriction_lift": "Wir heben die Einschränkung Ihrer Daten auf",
    },
}

TYPE_LABELS_DE = {
    "access": "Auskunft über die personenbezogenen Daten, die wir über Sie speichern",
    "portability": "Herausgabe Ihrer Daten in einem übertragbaren Format",
    "rectification": "Berichtigung Ihrer personenbezogenen Daten",
    "erasure": "Löschung Ihrer personenbezogenen Daten",
    "restriction": "Einschränkung der Verarbeitung Ihrer personenbezogenen Daten",
    "objection": "Widerspruch gegen die Verarbeitung Ihrer personenbezogenen Daten",
    "withdraw_consent": "Widerruf Ihrer Einwilligung",
    "opt_out_sale": "Widerspruch gegen den Verkauf Ihrer Daten",
    "opt_out_sharing": "Widerspruch gegen die Weitergabe Ihrer Daten für personalisierte Werbung",
    "limit_sensitive": "Einschränkung der Nutzung Ihrer sensiblen Daten",
}

TYPE_LABELS = {
    "access": "see the personal data we hold about you",
    "portability": "receive your data in a portable format",
    "rectification": "correct your personal data",
    "erasure": "delete your personal data",
    "restriction": "restrict the processing of your personal data",
    "objection": "object to the processing of your personal data",
    "withdraw_consent": "withdraw your consent",
    "opt_out_sale": "opt out of the sale of your personal information",
    "opt_out_sharing": "opt out of the sharing of your personal information for cross-context "
    "behavioural advertising",
    "limit_sensitive": "limit the use of your sensitive personal information",
}

WITHHELD = "[withheld: sent to the person only]"
QUOTE_LIMIT = 200
# Letters an authorized agent gets a copy of (never the code: that proves the person's consent).
AGENT_COPY_KINDS = frozenset(
    {"acknowledgement", "more_proof", "extension", "denial", "completion", "restriction_lift"}
)
# Context the agent's copy leaves out: the package goes to the person only.
PERSON_ONLY = ("download_url",)

_URL = re.compile(
    r"(?i)(?:\b[a-z][a-z0-9+.-]*://|\b(?:mailto|javascript|vbscript|data|file|tel|sms|callto):"
    r"|\bwww\.)\S*"
)
_TAG = re.compile(r"<[^>]*>?")
_HOST_DOT = re.compile(r"(?i)(?<=[a-z0-9-])\.(?=[a-z0-9-]+\b)")


def plain_quote(text: str, *, limit: int = QUOTE_LIMIT) -> str:
    """Text someone else typed, made safe to show in a letter: no markup, no links, no control
    characters, one line, at most ``limit`` characters, in quotation marks.

    Links are cut; dots between words are bracketed (``evil[.]example``) so mail programs
    do not turn a bare name into a link."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(" " if unicodedata.category(c)[0] in "CZ" else c for c in text)
    text = _TAG.sub(" ", text)
    text = _URL.sub("[link removed]", text)
    text = _HOST_DOT.sub("[.]", text)
    text = " ".join(text.replace('"', "'").split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f'"{text}"'


def agent_quote(request: PrivacyRequest) -> str:
    """The agent's name and contact as they gave them, quoted safely."""
    agent = request.agent or {}
    return plain_quote(f"{agent.get('name', '')} ({agent.get('contact', '')})")


@dataclass(frozen=True)
class Organization:
    """Who the letters come from and whom to complain to, from the data map."""

    name: str
    contact: str
    authority_name: str
    authority_contact: str


def organization(session: Session, request: PrivacyRequest | None = None) -> Organization:
    """The organization's name and contact from the data map, and the supervisory authority
    of the request's jurisdiction (its own, else the organization's)."""
    try:
        datamap = datamap_service.get_current(session)
    except NotFound:
        return Organization("our organization", config.get_settings().mail_sender, "", "")
    org = datamap.organization
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
    juris = jurisdictions.build(datamap.jurisdiction).get(request.jurisdiction) if request else None
    authority = wording.authority_text(wording.authority_for(datamap, juris))
    return Organization(
        name=org.name,
        contact=contact,
        authority_name=authority.name,
        authority_contact=authority.contact,
    )


def language(session: Session, request: PrivacyRequest) -> str:
    """The language of the request's letters: its own, else the data map's default."""
    try:
        default = datamap_service.get_current(session).organization.language
    except NotFound:
        default = None
    return wording.language_of(request.language, default)


@lru_cache(maxsize=256)
def template_for(kind: str, lang: str) -> str:
    """``email/<lang>/<kind>.txt`` when written, else the English ``email/<kind>.txt``."""
    # Looked up once per process, like the templates themselves (``web.render``).
    own = f"email/{lang}/{kind}.txt"
    return own if (TEMPLATE_DIR / own).is_file() else f"email/{kind}.txt"


def _compose(
    session: Session, request: PrivacyRequest, kind: str, context: dict[str, Any]
) -> tuple[dict[str, Any], str, str]:
    """The template context, subject and template of a letter."""
    if request.email is None:
        raise Conflict(f"request {request.id} was purged; no letter can be sent")
    settings = config.get_settings()
    org = organization(session, request)
    lang = language(session, request)
    labels = TYPE_LABELS_DE if lang == "de" else TYPE_LABELS
    base = {
        "org": org,
        "request": request,
        "type_label": labels.get(request.type, request.type),
        "base_url": settings.base_url.rstrip("/"),
        "agent_quote": agent_quote(request) if request.agent else "",
        "when": lambda value: wording.when(value, lang),
        "lang": lang,
        **context,
    }
    subject = f"{SUBJECTS.get(lang, KINDS).get(kind, KINDS[kind])} ({org.name})"
    return base, subject, template_for(kind, lang)


def draft(session: Session, request: PrivacyRequest, kind: str, **context: Any) -> tuple[str, str]:
    """The subject and text a letter would have if sent now; nothing is sent or kept."""
    base, subject, template = _compose(session, request, kind, context)
    return subject, render(template, **base)


@phase("letter")
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
    settings = config.get_settings()
    base, subject, template = _compose(session, request, kind, context)
    assert request.email is not None  # _compose refused a purged request
    text = render(template, **base, **(secret or {}))
    # Without secrets the kept copy is the letter itself: rendered once, not twice.
    kept = render(template, **base, **dict.fromkeys(secret, WITHHELD)) if secret else text
    # Queued in this transaction and sent after it commits: never a letter about a change
    # that was rolled back, never a recorded letter that was not sent.
    message = _queue(
        session, settings, request, kind, to=request.email, subject=subject, text=text,
        kept=kept, actor=actor,
    )  # fmt: skip
    if kind in AGENT_COPY_KINDS and agents.authorized(request):
        # Links (the package download, whatever a caller names it) are for the person only.
        links = [k for k, v in context.items() if isinstance(v, str) and "://" in v]
        withhold = [*(secret or {}), *PERSON_ONLY, *links]
        _copy_to_agent(
            session, request, kind, subject=subject, base=base, withhold=withhold, actor=actor
        )
    return message


def _copy_to_agent(
    session: Session,
    request: PrivacyRequest,
    kind: str,
    *,
    subject: str,
    base: dict[str, Any],
    withhold: list[str],
    actor: str,
) -> None:
    """Send the authorized agent a copy, without secrets or the package link."""
    contact = agent_email(str((request.agent or {}).get("contact", "")))
    if contact is None:
        return  # a phone contact gets no mail; staff see the letter with the request
    settings = config.get_settings()
    body = render(f"email/{kind}.txt", **{**base, **dict.fromkeys(withhold, WITHHELD)})
    text = render("email/agent_copy.txt", **base, letter=body)
    copy_subject = f"Copy: {subject}"
    # Through the outbox like the letter itself: sent only once the transaction commits.
    _queue(
        session, settings, request, f"{kind}_agent_copy", to=contact, subject=copy_subject,
        text=text, kept=text, actor=actor,
    )  # fmt: skip


def _queue(
    session: Session,
    settings: Settings,
    request: PrivacyRequest,
    kind: str,
    *,
    to: str,
    subject: str,
    text: str,
    kept: str,
    actor: str,
) -> RequestMessage:
    """Queue ``text`` in the outbox, keep ``kept`` with the request, and audit the sending."""
    queued = outbox.enqueue(session, settings, to=to, subject=subject, text=text)
    # Its id is set here, so it is written with the transaction's next flush, together with
    # the rest of the change the letter is about.
    message = RequestMessage(
        id=new_id(), request_id=request.id, kind=kind, to=to, subject=subject, body=kept,
        sent_at=utcnow(),
    )  # fmt: skip
    session.add(message)
    audit.record(
        session,
        action="request.message_sent",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request.id,
        data={
            "kind": kind,
            "message_id": message.id,
            "smtp_message_id": queued.message_id,
            "outbox_id": queued.id,
        },
    )
    return message
