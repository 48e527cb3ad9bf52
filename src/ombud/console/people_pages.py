"""``/staff/people``: one person by email or device id: consent state and history with their
receipts, their requests, and recording a consent decision staff received (with evidence).

Lookups are POSTs so that identities stay out of URLs, browser history and access logs."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ombud.consent import service as consent
from ombud.consent.ledger import Context
from ombud.consent.schemas import DecisionKind, Method, SubjectRef
from ombud.console.web import ConsoleIdentity, page
from ombud.db import DbSession
from ombud.deps import ConsoleOfficer, ConsoleUser, SettingsDep
from ombud.dsr import queue
from ombud.errors import InvalidInput, NotFound, OmbudError

router = APIRouter(prefix="/staff/people", include_in_schema=False)

KINDS = {"email": "Email", "device_id": "Device id (cookie banner)", "account_id": "Account id"}
Kind = Annotated[str, Form(max_length=20)]
Value = Annotated[str, Form(max_length=320)]
Text = Annotated[str, Form(max_length=2000)]


def _ref(kind: str, value: str) -> SubjectRef:
    if kind not in KINDS:
        raise InvalidInput(f"look up by one of: {', '.join(KINDS)}")
    try:
        return SubjectRef.model_validate({kind: value.strip()})
    except ValueError:
        raise InvalidInput(f"give the person's {KINDS[kind].lower()}") from None


def _person(session: Session, settings: Any, kind: str, value: str) -> dict[str, Any]:
    """What the page shows about one identity."""
    ref = _ref(kind, value)
    states: list[Any] = []
    history: list[Any] = []
    note = ""
    try:
        subject = consent.subject_of(ref, settings)
        states = consent.states(session, subject=subject)
        history = [consent.to_decision(r) for r in consent.history(session, subject=subject)]
    except InvalidInput as exc:  # the ledger takes deliverable addresses only; requests may not
        if not ref.email:
            raise
        note = exc.message
    requests = []
    if ref.email:
        email = ref.email.strip().lower()
        found = queue.search(session, queue.Filters(status="all", q=email, per_page=100))
        requests = [i for i in found.items if (i.request.email or "") == email]
    return {
        "kind": kind,
        "value": value.strip(),
        "states": states,
        "history": history,
        "consent_note": note,
        "requests": requests,
    }


def _page(
    session: Session,
    me: ConsoleIdentity,
    *,
    person: dict[str, Any] | None = None,
    status: int = 200,
    error: str = "",
    done: str = "",
) -> HTMLResponse:
    try:
        purposes = consent.purposes(session)
    except NotFound:  # no data map yet: nothing to consent to
        purposes = []
    return page(
        me,
        "staff/people.html",
        title="People",
        current="/staff/people",
        status=status,
        person=person,
        kinds=KINDS,
        purposes=purposes,
        decisions=[d.value for d in DecisionKind],
        methods=[m.value for m in Method if m is not Method.gpc],
        error=error,
        done=done,
    )


@router.get("", response_class=HTMLResponse)
def people(session: DbSession, me: ConsoleUser) -> HTMLResponse:
    """The look-up form."""
    return _page(session, me)


@router.post("/lookup", response_class=HTMLResponse)
def lookup(
    session: DbSession, settings: SettingsDep, me: ConsoleUser, kind: Kind, value: Value
) -> HTMLResponse:
    """Consent state, history and requests of one identity (read-only, every role)."""
    try:
        person = _person(session, settings, kind, value)
    except OmbudError as exc:
        return _page(session, me, status=exc.status, error=exc.message)
    return _page(session, me, person=person)


@router.post("/consent", response_class=HTMLResponse)
def record_consent(
    session: DbSession,
    settings: SettingsDep,
    me: ConsoleOfficer,
    kind: Kind,
    value: Value,
    purpose: Value,
    decision: Kind,
    method: Kind,
    evidence: Text,
) -> HTMLResponse:
    """Record a decision the person gave staff (a signed form, a call), with its evidence."""
    try:
        if not evidence.strip():
            raise InvalidInput("say what proves the decision (e.g. the signed form's reference)")
        ref = _ref(kind, value)
        with session.begin_nested():
            record = consent.record_decision(
                session,
                email=ref.email,
                account_id=ref.account_id,
                device_id=ref.device_id,
                purpose=purpose,
                decision=decision,
                method=method,
                context=Context(actor=me.email),
                evidence={"recorded_by": me.email, "evidence": evidence.strip()},
                settings=settings,
            )
        person = _person(session, settings, kind, value)
    except OmbudError as exc:
        person = None
        with contextlib.suppress(OmbudError):  # a bad identity: the form alone
            person = _person(session, settings, kind, value)
        return _page(session, me, person=person, status=exc.status, error=exc.message)
    return _page(session, me, person=person, done=f"Recorded; receipt {record.receipt_id}.")
