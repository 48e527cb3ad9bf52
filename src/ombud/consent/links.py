"""Public pages reached from email links: subscribe with double opt-in, confirm, one-click
unsubscribe (RFC 8058) and receipts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session

from ombud import ratelimit
from ombud.consent import ledger, preferences, receipts, repository, service, tokens
from ombud.consent.purposes import list_purposes, shown_in_force
from ombud.consent.web import _context, _link_error, _page, labels, methods
from ombud.db import DbSession
from ombud.deps import SettingsDep
from ombud.errors import InvalidInput, RateLimited
from ombud.i18n import gettext as _
from ombud.i18n import ngettext
from ombud.origin import SameOrigin

router = APIRouter(include_in_schema=False)
# More boxes than any map offers are not ticked by a person.
MAX_CHOICES = 20


SUBSCRIBE = "consent/subscribe.html"


@router.get("/privacy/subscribe", response_class=HTMLResponse)
def subscribe_form(session: DbSession) -> HTMLResponse:
    """A form to subscribe to one or more mailings (double opt-in), nothing ticked."""
    return _page(session, SUBSCRIBE, title=_("Subscribe"), purposes=_subscriptions(session))


def _subscriptions(session: Session) -> list[dict[str, str]]:
    out = []
    for p in list_purposes(session):
        if p.definition.kind == "subscription":
            title, text = shown_in_force(session, p.definition)
            out.append({"key": p.key, "title": title, "notice_text": text})
    return out


def _form_errors(session: Session, email: str, chosen: list[str]) -> dict[str, str]:
    """Each problem of the subscribe form as a sentence next to its field."""
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = _("Enter your email address, so we can send you the confirmation.")
    else:
        try:
            ledger.email_subject(email)
        except InvalidInput:
            errors["email"] = _(
                "This is not an email address we can write to. Check it, for example "
                "name@example.com."
            )
    offered = {s["key"] for s in _subscriptions(session)}
    if not chosen:
        errors["purpose"] = _("Tick at least one thing you would like to receive.")
    elif not set(chosen) <= offered:
        errors["purpose"] = _("One of your choices is no longer offered; tick again from the list.")
    return errors


@router.post("/privacy/subscribe", response_class=HTMLResponse, dependencies=[SameOrigin])
def subscribe(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)] = "",
    purpose: Annotated[list[str] | None, Form(max_length=200)] = None,
) -> HTMLResponse:
    """Start each ticked subscription; each is granted only once its mailed link is confirmed."""
    chosen = list(dict.fromkeys(purpose or []))[:MAX_CHOICES]
    again: dict[str, Any] = {
        "title": _("Subscribe"),
        "purposes": _subscriptions(session),
        "typed": email,
    }
    errors = _form_errors(session, email, chosen)
    if errors:
        return _page(session, SUBSCRIBE, 422, chosen=chosen, errors=errors, **again)
    try:
        ratelimit.check(request, scope="subscribe", address=email)
    except RateLimited as exc:
        return _page(
            session, SUBSCRIBE, 429, exc.retry_after, chosen=chosen, error=exc.said(), **again
        )
    pending, records = [], []
    for key in chosen:
        result = preferences.request_subscription(
            session,
            email=email,
            purpose=key,
            context=_context(request, "/privacy/subscribe"),
            settings=settings,
        )
        if result.pending:
            pending.append(key)
        elif result.record is not None:
            records.append(result.record)
    if pending:
        count = ngettext(
            "We sent you an email. Your subscription starts only when you follow the link in it.",
            "We sent you %(num)d emails, one per subscription. Each subscription starts only "
            "when you follow the link in its email.",
            len(pending),
        ) % {"num": len(pending)}
        return _page(
            session,
            "consent/message.html",
            title=_("Check your inbox"),
            message=count,
            receipt_url=receipts.receipt_link(records[0], settings) if records else None,
        )
    return _page(
        session,
        "consent/message.html",
        title=_("Subscribed"),
        message=_("You are subscribed."),
        receipt_url=receipts.receipt_link(records[0], settings) if records else None,
    )


@router.get("/privacy/confirm/{token}", response_class=HTMLResponse)
def confirm_page(token: str, session: DbSession, settings: SettingsDep) -> HTMLResponse:
    """Show what is being confirmed; a button records it (mail scanners only GET)."""
    try:
        pending = preferences.load_pending(session, token=token, settings=settings)
    except (tokens.InvalidLink, tokens.ExpiredLink) as exc:
        return _link_error(session, exc)
    notice = repository.notices_by_id(session, [pending.notice_id])[pending.notice_id]
    title, text = notice.title, notice.text
    definition = next(
        (p.definition for p in list_purposes(session) if p.key == notice.purpose), None
    )
    if definition is not None and definition.notice_text == notice.text:
        # The version mailed is the one in force: said in the page's language.
        title, text = shown_in_force(session, definition)
    return _page(
        session,
        "consent/confirm.html",
        title=_("Confirm your subscription"),
        purpose_title=title,
        notice_text=text,
        notice_version=notice.version,
        notice_hash=notice.content_hash,
        action=f"/privacy/confirm/{token}",
    )


@router.post("/privacy/confirm/{token}", response_class=HTMLResponse, dependencies=[SameOrigin])
def confirm(
    token: str, request: Request, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """Grant the subscription the link was mailed for."""
    try:
        rec = preferences.confirm_subscription(
            session,
            token=token,
            context=_context(request, "/privacy/confirm/…"),
            settings=settings,
        )
    except (tokens.InvalidLink, tokens.ExpiredLink) as exc:
        return _link_error(session, exc)
    if rec is None:
        return _page(
            session,
            "consent/message.html",
            title=_("Already confirmed"),
            message=_("This subscription was already confirmed."),
        )
    return _page(
        session,
        "consent/message.html",
        title=_("Subscription confirmed"),
        message=_("Thank you: your subscription is confirmed."),
        receipt_url=receipts.receipt_link(rec, settings),
    )


@router.get("/privacy/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(token: str, session: DbSession, settings: SettingsDep) -> HTMLResponse:
    """A confirmation page with one button (GET never changes anything)."""
    try:
        _h, purpose = preferences.load_unsubscribe(token, settings)
        title = next(
            shown_in_force(session, p.definition)[0]
            for p in list_purposes(session)
            if p.key == purpose
        )
    except (tokens.InvalidLink, tokens.ExpiredLink) as exc:
        return _link_error(session, exc)
    except StopIteration:
        return _link_error(
            session,
            tokens.InvalidLink("this unsubscribe link is for a mailing that is no longer offered"),
        )
    return _page(
        session,
        "consent/unsubscribe.html",
        title=_("Unsubscribe"),
        purpose_title=title,
        action=f"/privacy/unsubscribe/{token}",
    )


@router.post("/privacy/unsubscribe/{token}")
def unsubscribe(
    token: str,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    one_click: Annotated[str | None, Form(alias="List-Unsubscribe", max_length=50)] = None,
) -> Response:
    """RFC 8058 one-click POST (short text reply) or the confirmation page's button (HTML)."""
    try:
        title, _rec = preferences.unsubscribe(
            session,
            token=token,
            context=_context(request, "/privacy/unsubscribe/…"),
            settings=settings,
        )
    except (tokens.InvalidLink, tokens.ExpiredLink) as exc:
        if one_click is not None:
            return PlainTextResponse(exc.message, status_code=exc.status)
        return _link_error(session, exc)
    if one_click == "One-Click":
        return PlainTextResponse("unsubscribed")
    return _page(
        session,
        "consent/message.html",
        title=_("You are unsubscribed"),
        message=_("You will no longer receive %(what)s.") % {"what": title},
    )


@router.get("/privacy/receipts/{token}")
def receipt(
    token: str,
    session: DbSession,
    settings: SettingsDep,
    format: Annotated[str, Query(pattern="^(html|json)$")] = "html",
) -> Response:
    """The person's receipt of one decision, as a page or JSON."""
    try:
        data = tokens.load(
            tokens.RECEIPT,
            token,
            max_age_seconds=10 * 365 * 86400,
            what="receipt",
            settings=settings,
        )
        rec = service.get_record(session, receipt_id=str(data.get("r", "")))
    except (tokens.InvalidLink, tokens.ExpiredLink) as exc:
        return _link_error(session, exc)
    body = receipts.build(session, rec, settings)
    if format == "json":
        return JSONResponse(body)
    purposes = list_purposes(session)
    return _page(
        session,
        "consent/receipt.html",
        title=_("Consent receipt"),
        r=body,
        json_url=f"/privacy/receipts/{token}?format=json",
        methods=methods(),
        decision=labels().get(str(body.get("decision")), str(body.get("decision", ""))),
        purpose_title=next(
            (shown_in_force(session, p.definition)[0] for p in purposes if p.key == rec.purpose),
            "",
        ),
        preferences_url=f"{settings.base_url.rstrip('/')}/privacy/preferences",
    )
