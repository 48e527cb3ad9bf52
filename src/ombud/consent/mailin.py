"""``mailto:`` unsubscribes (RFC 2369): a mail sent to ``unsubscribe+TOKEN@domain``, handed to
``ombud consent unsubscribe-mail`` by the mail server, withdraws the token's purpose."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from sqlalchemy.orm import Session

from ombud import config
from ombud.config import Settings
from ombud.consent import ledger, preferences, repository, tokens
from ombud.consent.ledger import Context, Subject
from ombud.consent.purposes import current_definitions
from ombud.errors import InvalidInput
from ombud.models.consent import ConsentRecord

# Where mail servers put the recipient: Postfix adds X-Original-To and Delivered-To, Exim
# Envelope-To; To and Cc are what the person's mail program wrote.
ADDRESS_HEADERS = ("X-Original-To", "Delivered-To", "Envelope-To", "To", "Cc")
SENDER_HEADERS = ("From", "Sender", "Reply-To")
_WORDS = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class MailUnsubscribe:
    """What one unsubscribe message did."""

    purpose: str
    title: str
    who: str  # the address, or the keyed hash of an erased identity
    found_in: str  # header (or "recipient") that held the token
    record: ConsentRecord | None  # None: already withdrawn or refused, nothing written


def parse(data: bytes) -> EmailMessage:
    """Parse one RFC 5322 message; ``InvalidLink`` when the input is empty."""
    if not data.strip():
        raise tokens.InvalidLink("no message: the input is empty")
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(msg, EmailMessage)
    return msg


def _header_values(msg: EmailMessage, names: tuple[str, ...]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name in names:
        for value in msg.get_all(name, []):
            out.append((name, str(value)))
    return out


def token_candidates(msg: EmailMessage, recipient: str | None = None) -> list[tuple[str, str]]:
    """(where, token) pairs: the part after "+" of recipient addresses, then subject words."""
    sources = ([("recipient", recipient)] if recipient else []) + _header_values(
        msg, ADDRESS_HEADERS
    )
    found: list[tuple[str, str]] = []
    for where, value in sources:
        for _name, addr in getaddresses([value]):
            local = addr.rpartition("@")[0]
            if "+" in local:
                found.append((where, local.split("+", 1)[1]))
    for word in _WORDS.split(str(msg.get("Subject", ""))):
        if tokens.looks_like_mail_token(word):
            found.append(("Subject", word))
    seen: set[str] = set()
    unique = []
    for where, token in found:
        if token.lower() not in seen:
            seen.add(token.lower())
            unique.append((where, token))
    return unique


def _senders(msg: EmailMessage) -> list[str]:
    values = [v for _n, v in _header_values(msg, SENDER_HEADERS)]
    return [addr for _name, addr in getaddresses(values) if "@" in addr]


def _resolve(
    session: Session, token: tokens.MailToken, msg: EmailMessage, settings: Settings
) -> tuple[Subject, str, bool]:
    """(subject, purpose, on record) the token was made for, or ``InvalidLink``."""
    for definition in current_definitions(session):
        purpose = definition.key
        if not token.matches(purpose):
            continue
        for st in repository.states_by_hash_prefix(session, purpose, token.hash_prefix):
            if tokens.verify_mail(token, st.subject_hash, purpose, settings):
                return Subject(st.subject_kind, st.subject, st.subject_hash), purpose, True
        # Nobody on record for this purpose yet: the token may name the sender.
        for addr in _senders(msg):
            try:
                subject = ledger.email_subject(addr, settings)
            except InvalidInput:
                continue
            if tokens.verify_mail(token, subject.hash, purpose, settings):
                return subject, purpose, False
    raise tokens.InvalidLink(
        "this unsubscribe address is not valid: it was altered, made for someone else, or is "
        "for a mailing that is no longer offered"
    )


def process(
    session: Session,
    data: bytes,
    *,
    recipient: str | None = None,
    settings: Settings | None = None,
) -> MailUnsubscribe:
    """Verify the token of one unsubscribe message and withdraw its purpose.

    ``InvalidLink`` (no token, forged, altered, another identity's) or ``ExpiredLink``
    write nothing."""
    s = settings or config.get_settings()
    msg = parse(data)
    candidates = token_candidates(msg, recipient)
    if not candidates:
        raise tokens.InvalidLink(
            "no unsubscribe token found: expected an address like unsubscribe+TOKEN@domain in "
            "To, Delivered-To or X-Original-To, or the token in the subject"
        )
    first_error: tokens.InvalidLink | None = None
    for where, raw in candidates:
        try:
            token = tokens.read_mail(raw)
            subject, purpose, on_record = _resolve(session, token, msg, s)
        except tokens.InvalidLink as exc:
            first_error = first_error or exc
            continue
        tokens.check_mail_age(token, s)
        return _withdraw(session, msg, s, subject, purpose, on_record, where)
    assert first_error is not None
    raise first_error


def _withdraw(
    session: Session,
    msg: EmailMessage,
    settings: Settings,
    subject: Subject,
    purpose: str,
    on_record: bool,
    where: str,
) -> MailUnsubscribe:
    mailbox = settings.unsubscribe_mailbox or "unsubscribe@"
    local, _at, domain = mailbox.rpartition("@")
    agent = str(msg.get("User-Agent") or msg.get("X-Mailer") or "")[:500] or None
    message_id = str(msg.get("Message-ID", "")).strip()
    evidence = {
        "unsubscribe": "mailto (RFC 2369)",
        "token_in": where,
        # A digest only: the Message-ID can name hosts or people, and evidence outlives erasure.
        "message_id_sha256": hashlib.sha256(message_id.encode()).hexdigest()
        if message_id
        else None,
    }
    context = Context(source_url=f"mailto:{local}+…@{domain}", user_agent=agent)
    title, rec = preferences.withdraw(
        session,
        subject_hash=subject.hash,
        purpose=purpose,
        context=context,
        evidence=evidence,
        email=None if on_record else subject.value,
    )
    who = subject.value or f"hmac-sha256:{subject.hash}"
    return MailUnsubscribe(purpose, title, who, where, rec)
