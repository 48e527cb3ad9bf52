"""What the person does: open the preference center (link or one-time code), subscribe with
double opt-in, and unsubscribe in one click (RFC 8058)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session

from ombud import config, keys
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.consent import ledger, repository, repository_codes, tokens
from ombud.consent.cookies import PREFERENCES_SESSION
from ombud.consent.erasure import erased_since
from ombud.consent.ledger import Context, Entry, Subject
from ombud.consent.purposes import NoticeRef, get_purpose
from ombud.consent.schemas import DecisionKind, Method, SubjectKind
from ombud.consent.service import current_jurisdiction
from ombud.db import after_commit
from ombud.errors import InvalidInput
from ombud.i18n import gettext as _
from ombud.mail import send_mail
from ombud.models.consent import ConsentAccessCode, ConsentLink, ConsentPending, ConsentRecord
from ombud.web.render import render

SESSION_MAX_AGE = PREFERENCES_SESSION.max_age_seconds


def _s(settings: Settings | None) -> Settings:
    return settings or config.get_settings()


def _url(settings: Settings, path: str) -> str:
    return settings.base_url.rstrip("/") + path


# ---------------------------------------------------------------- preference center access
def preference_link(session: Session, email: str, settings: Settings | None = None) -> str:
    """A signed, expiring link that opens the preference center for ``email``.

    The link names a stored row by a random id: the address is never in a URL, where access
    logs, proxies and browser histories would keep it."""
    s = _s(settings)
    subject = ledger.email_subject(email, s)
    row = ConsentLink(
        subject_hash=subject.hash,
        subject=subject.value,
        expires_at=utcnow() + timedelta(hours=s.link_ttl_hours),
    )
    repository.add(session, row)
    token = tokens.sign(tokens.PREFERENCES, {"l": row.id}, s)
    return _url(s, f"/privacy/preferences?t={token}")


def open_link(session: Session, token: str, settings: Settings | None = None) -> Subject:
    """The subject of a preference link, or ``InvalidLink``/``ExpiredLink``."""
    s = _s(settings)
    data = tokens.load(
        tokens.PREFERENCES,
        token,
        max_age_seconds=s.link_ttl_hours * 3600,
        what="preference center",
        settings=s,
    )
    row = repository_codes.get_link(session, str(data.get("l", "")))
    if row is None or row.subject is None:
        # Erased since it was mailed (or never made here): nothing to open.
        raise tokens.InvalidLink(
            "this preference center link is no longer valid", phrase=tokens.NO_LONGER_VALID
        )
    return ledger.email_subject(row.subject, s)


def _ended(db: Session, salt: str, token: str, subject: Subject, settings: Settings) -> bool:
    """True when the subject was erased after the token was made."""
    return erased_since(db, subject.hash, tokens.issued_at(salt, token, settings))


def session_token(subject: Subject, settings: Settings | None = None) -> str:
    """Cookie value that keeps the preference center open for a while."""
    return tokens.sign(tokens.SESSION, {"e": subject.value}, _s(settings))


def load_session(
    token: str | None, settings: Settings | None = None, db: Session | None = None
) -> Subject | None:
    """The subject of a session cookie, or None when absent, altered or expired (or, with
    ``db``, begun before the person's data was erased)."""
    if not token:
        return None
    try:
        data = tokens.load(
            tokens.SESSION,
            token,
            max_age_seconds=SESSION_MAX_AGE,
            what="session",
            settings=settings,
        )
    except (tokens.InvalidLink, tokens.ExpiredLink):
        return None
    subject = ledger.email_subject(str(data.get("e", "")), settings)
    if db is not None and _ended(db, tokens.SESSION, token, subject, _s(settings)):
        return None
    return subject


def _code_hash(subject: Subject, code: str, settings: Settings) -> str:
    key = keys.current(settings, keys.CONSENT_CODES)
    return hmac.digest(key, f"code:{subject.hash}:{code}".encode(), "sha256").hex()


def send_access_code(session: Session, *, email: str, settings: Settings | None = None) -> None:
    """Store a one-time code for ``email`` and mail it (with a link) after commit."""
    s = _s(settings)
    subject = ledger.email_subject(email, s)
    code = f"{secrets.randbelow(1_000_000):06d}"
    now = utcnow()
    # A fresh code must never give new guesses: it starts with the tries still counting.
    since = now - timedelta(minutes=s.verification_lockout_minutes)
    attempts = repository_codes.recent_code_attempts(session, subject.hash, since=since)
    repository.add(
        session,
        ConsentAccessCode(
            subject_hash=subject.hash,
            code_hash=_code_hash(subject, code, s),
            expires_at=now + timedelta(minutes=s.verification_code_ttl_minutes),
            attempts=attempts,
        ),
    )
    assert subject.value is not None
    text = render(
        "consent/code_email.txt",
        code=code,
        minutes=s.verification_code_ttl_minutes,
        link=preference_link(session, subject.value, s),
    )
    to = subject.value
    mail_subject = _("Your privacy preferences code")

    def _send() -> None:
        send_mail(s, to=to, subject=mail_subject, text=text)

    after_commit(session, _send)


def verify_code(
    session: Session, *, email: str, code: str, settings: Settings | None = None
) -> Subject | None:
    """The subject if ``code`` is the live code of ``email``; every try is counted.

    The code row is locked and the count added by the database, so parallel guesses queue
    and none of them gets a try beyond ``verification_max_attempts``."""
    s = _s(settings)
    subject = ledger.email_subject(email, s)
    row = repository_codes.latest_code(session, subject.hash)
    now = utcnow()
    if row is None or row.expires_at <= now or row.attempts >= s.verification_max_attempts:
        return None
    if repository_codes.count_code_attempt(session, row) > s.verification_max_attempts:
        return None
    if not hmac.compare_digest(row.code_hash, _code_hash(subject, code.strip(), s)):
        return None
    row.used_at = now
    session.flush()
    return subject


# ---------------------------------------------------------------- double opt-in
@dataclass(frozen=True)
class SubscribeResult:
    pending: bool
    record: ConsentRecord | None = None


def request_subscription(
    session: Session,
    *,
    email: str,
    purpose: str,
    context: Context,
    method: str = Method.web_form,
    settings: Settings | None = None,
) -> SubscribeResult:
    """Start a subscription: mail a confirmation link when the purpose needs double opt-in."""
    s = _s(settings)
    subject = ledger.email_subject(email, s)
    p = get_purpose(session, purpose)
    jurisdiction = context.jurisdiction or current_jurisdiction(session)
    if not p.definition.double_opt_in:
        entry = Entry(subject, purpose, "granted", method, p.notice, jurisdiction, context)
        return SubscribeResult(False, ledger.write(session, [entry], s)[0])
    pending = ConsentPending(
        subject_hash=subject.hash,
        subject=subject.value,
        purpose=purpose,
        notice_id=p.notice.id,
        method=method,
        jurisdiction=jurisdiction,
        source_url=context.source_url,
        user_agent=context.user_agent,
        ip=ledger.truncate_ip(context.ip, s),  # stored here: truncated here
        expires_at=utcnow() + timedelta(hours=s.link_ttl_hours),
    )
    repository.add(session, pending)
    link = _url(s, f"/privacy/confirm/{tokens.sign(tokens.CONFIRM, {'p': pending.id}, s)}")
    text = render(
        "consent/confirm_email.txt",
        title=p.definition.title,
        link=link,
        notice=p.notice.text,
        hours=s.link_ttl_hours,
    )
    # Written in the language of the page the person used (read now, not when sent).
    to = str(subject.value)
    mail_subject = _("Please confirm: %(what)s") % {"what": p.definition.title}

    def _send() -> None:
        send_mail(s, to=to, subject=mail_subject, text=text)

    after_commit(session, _send)
    return SubscribeResult(True)


def load_pending(
    session: Session, *, token: str, settings: Settings | None = None
) -> ConsentPending:
    """The pending subscription of a confirmation link, or a clear link error."""
    s = _s(settings)
    data = tokens.load(
        tokens.CONFIRM,
        token,
        max_age_seconds=s.link_ttl_hours * 3600,
        what="confirmation",
        settings=s,
    )
    pending = repository_codes.get_pending(session, str(data.get("p", "")))
    if pending is None:
        raise tokens.InvalidLink(
            "this confirmation link is no longer valid", phrase=tokens.NO_LONGER_VALID
        )
    return pending


def confirm_subscription(
    session: Session, *, token: str, context: Context, settings: Settings | None = None
) -> ConsentRecord | None:
    """Grant the pending subscription (once); None if it was already confirmed."""
    pending = load_pending(session, token=token, settings=settings)
    if pending.confirmed_at is not None:
        return None
    now = utcnow()
    pending.confirmed_at = now
    notice = NoticeRef.of(repository.notices_by_id(session, [pending.notice_id])[pending.notice_id])
    subject = Subject(SubjectKind.email, pending.subject, pending.subject_hash)
    evidence = {
        "double_opt_in": {
            "requested_at": pending.created_at.isoformat(),
            "requested_via": pending.method,
            "requested_from": pending.source_url,
            "requested_ip": pending.ip,
            "confirmed_at": now.isoformat(),
        }
    }
    entry = Entry(
        subject,
        pending.purpose,
        "granted",
        Method.email_link,
        notice,
        pending.jurisdiction,
        context,
        evidence,
    )
    return ledger.write(session, [entry])[0]


# ---------------------------------------------------------------- one-click unsubscribe
def unsubscribe_headers(
    *, email: str, purpose: str, settings: Settings | None = None
) -> dict[str, str]:
    """RFC 2369 / RFC 8058 header values for a message about ``purpose`` sent to ``email``."""
    s = _s(settings)
    subject = ledger.email_subject(email, s)
    token = tokens.sign(tokens.UNSUBSCRIBE, {"h": subject.hash, "p": purpose}, s)
    targets = [_url(s, "/privacy/unsubscribe/" + token)]
    if s.unsubscribe_mailbox:
        targets.append(mailto_address(subject, purpose, s))
    return {
        "List-Unsubscribe": ", ".join(f"<{t}>" for t in targets),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def mailto_address(subject: Subject, purpose: str, settings: Settings) -> str:
    """``mailto:LOCAL+TOKEN@DOMAIN?subject=...`` for ``ombud consent unsubscribe-mail``."""
    assert settings.unsubscribe_mailbox, "OMBUD_UNSUBSCRIBE_MAILBOX is not set"
    local, _at, domain = settings.unsubscribe_mailbox.rpartition("@")
    token = tokens.sign_mail(subject.hash, purpose, settings)
    # The token is in the subject too, for mail systems that drop the "+..." of an address.
    return f"mailto:{local}+{token}@{domain}?subject={quote('unsubscribe ' + token)}"


def load_unsubscribe(token: str, settings: Settings | None = None) -> tuple[str, str]:
    """(subject hash, purpose) of an unsubscribe token, or a clear link error."""
    s = _s(settings)
    data = tokens.load(
        tokens.UNSUBSCRIBE,
        token,
        max_age_seconds=s.unsubscribe_ttl_days * 86400,
        what="unsubscribe",
        settings=s,
    )
    h, p = data.get("h"), data.get("p")
    if not isinstance(h, str) or not isinstance(p, str):
        raise tokens.InvalidLink("this unsubscribe link is not valid")
    return h, p


def unsubscribe(
    session: Session, *, token: str, context: Context, settings: Settings | None = None
) -> tuple[str, ConsentRecord | None]:
    """Withdraw (or refuse) the token's purpose; (purpose title, record or None if no change)."""
    h, purpose = load_unsubscribe(token, settings)
    return withdraw(
        session,
        subject_hash=h,
        purpose=purpose,
        context=context,
        evidence={"one_click": "RFC 8058"},
    )


def withdraw(
    session: Session,
    *,
    subject_hash: str,
    purpose: str,
    context: Context,
    evidence: dict[str, Any],
    email: str | None = None,
) -> tuple[str, ConsentRecord | None]:
    """Withdraw a granted purpose (refuse one never decided) for a verified unsubscribe.

    Returns the purpose title and the record, or None when already withdrawn or refused.
    ``email`` names the person when no state holds the identity yet."""
    try:
        p = get_purpose(session, purpose)
    except InvalidInput:
        raise tokens.InvalidLink(
            f"this unsubscribe link is for '{purpose}', which is no longer offered"
        ) from None
    state = repository.get_state(session, subject_hash, purpose)
    if state is not None and state.decision != DecisionKind.granted:
        return p.definition.title, None
    decision = DecisionKind.withdrawn if state is not None else DecisionKind.refused
    if state is not None:
        subject = Subject(state.subject_kind, state.subject, subject_hash)
    else:
        subject = Subject(SubjectKind.email, email, subject_hash)
    jurisdiction = context.jurisdiction or current_jurisdiction(session)
    entry = Entry(
        subject, purpose, decision, Method.email_link, p.notice, jurisdiction, context, evidence
    )
    return p.definition.title, ledger.write(session, [entry])[0]
