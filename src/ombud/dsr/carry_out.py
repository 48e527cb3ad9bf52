"""Carrying out the requests that need no run in the company's databases: withdrawing
consent, the CCPA opt-outs, objection and restriction. Each ends ``completed`` with a result
that says what was done, and the completion letter says the same."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.consent import ledger, optout
from ombud.consent.ledger import Context, Subject
from ombud.consent.objections import objectable_now
from ombud.consent.purposes import Purpose, list_purposes
from ombud.consent.schemas import Method, SubjectKind
from ombud.consent.service import current_jurisdiction
from ombud.datamap import service as datamap_service
from ombud.dsr import hints, rights, workflow
from ombud.errors import InvalidInput, NotFound, OmbudError
from ombud.execution import flags
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S
from ombud.models.requests import RequestType as T

SYSTEM = "system:rights"
KINDS = {"email": SubjectKind.email, "account_id": SubjectKind.account}
# Which purposes each opt-out withdraws (the data map's markings, ``ombud.datamap.rights``).
MARKED = {T.opt_out_sale: "sale", T.opt_out_sharing: "sharing", T.limit_sensitive: "sensitive"}


def subjects(request: PrivacyRequest, devices: Sequence[str] = ()) -> list[Subject]:
    """The ledger identities of the person: verified ones, and the device ids seen with them."""
    out: list[Subject] = []
    for name, value in hints.search_identities(request).items():
        kind = KINDS.get(name)
        if kind is None:
            continue
        try:
            out.append(ledger.make_subject(kind, value))
        except InvalidInput:  # an identity the ledger cannot hold was never recorded in it
            continue
    out += [ledger.make_subject(SubjectKind.device, d) for d in devices]
    return out


def consent_purposes(session: Session) -> dict[str, Purpose]:
    """Consent purposes of the data map in force (none without a map)."""
    try:
        return {p.key: p for p in list_purposes(session)}
    except NotFound:
        return {}


def check_purposes(session: Session, kind: str, chosen: list[str] | None) -> list[str] | None:
    """The purposes a request names, checked against the data map; ``InvalidInput`` (422)
    naming an unknown one and listing the known ones."""
    if not chosen:
        return None
    right = rights.of(kind)
    if not right.purposes:
        raise InvalidInput(
            f"purposes: a {kind} request takes no purposes; only "
            + ", ".join(t.value for t, r in rights.RIGHTS.items() if r.purposes)
            + " requests do"
        )
    if right.handler == rights.OBJECTION:
        known = [o.key for o in objectable_now(session)]
    else:
        known = list(consent_purposes(session))
    unique = list(dict.fromkeys(p.strip() for p in chosen))
    for p in unique:
        if p not in known:
            raise InvalidInput(
                f"purposes: '{p}' is not a purpose a {kind} request can name "
                f"(known: {', '.join(known) or 'none'})",
                detail={"purpose": p, "known": known},
            )
    return unique


def advance(session: Session, request: PrivacyRequest, *, actor: str) -> None:
    """After the person is confirmed, or staff approved: carry out what needs no (more) staff
    decision. Execution types are left to the execution runner."""
    right = rights.of(request.type)
    if right.handler == rights.EXECUTION:
        return
    if request.status == S.verified.value:
        if right.handler == rights.OBJECTION:
            from ombud.dsr import objection  # it imports this module

            objection.on_confirmed(session, request, actor=actor)
            return
        if right.review:
            return
        workflow.move(
            session,
            request,
            S.approved,
            actor=SYSTEM,
            action="approve",
            data={"why": f"a {request.type} request needs no staff decision"},
        )
    if request.status in (S.approved.value, S.failed.value):
        run(session, request, actor=actor)


def run(session: Session, request: PrivacyRequest, *, actor: str) -> PrivacyRequest:
    """approved|failed -> in_progress -> completed (or failed, retriable)."""
    # Imported here: these import this module.
    from ombud.dsr import objection, restriction
    from ombud.dsr import service as dsr_service
    from ombud.manual import service as manual_service
    from ombud.webhooks import service as webhooks

    # Systems without a connector got their tasks when the request became approved
    # (workflow._after_approved, the one place tasks are opened).
    workflow.move(session, request, S.in_progress, actor=actor, action="start execution")
    handler = rights.of(request.type).handler
    try:
        if handler == rights.CONSENT:
            done = withdraw(session, request, actor=actor)
        elif handler == rights.OBJECTION:
            done = objection.result_of(session, request, actor=actor)
        else:
            done = restriction.carry_out_restriction(session, request, actor=actor)
    except OmbudError as exc:
        return dsr_service.fail_execution(session, request.id, actor=actor, error=exc.message)
    result = {"type": request.type, "rights": done}
    if request.type in MARKED:
        webhooks.emit(
            session,
            "opt_out",
            {
                "request_id": request.id,
                "type": request.type,
                # Every purpose the opt-out covers, whether or not the person had granted it.
                "purposes": [p["key"] for p in done.get("purposes", [])],
            },
        )
    if manual_service.open_count(session, request.id):
        # Completed by the owner who closes the last task (execution.completion).
        request.result = result
        return request
    return dsr_service.complete_execution(session, request.id, actor=actor, result=result)


def _devices(session: Session, request: PrivacyRequest) -> tuple[list[str], str]:
    """Device ids in the person's rows, and a note when the databases could not be read (the
    opt-out of the person's own identities must not wait for a database that is down)."""
    try:
        datamap = datamap_service.get_current(session)
    except NotFound:
        return [], ""
    settings = config.get_settings()
    try:
        return flags.device_ids(datamap, settings.connections, hints.search_identities(request)), ""
    except OmbudError as exc:
        return [], exc.message


def withdraw(session: Session, request: PrivacyRequest, *, actor: str) -> dict[str, Any]:
    """withdraw_consent and the opt-outs: withdraw the purposes in the ledger (method
    ``request``, the request id as evidence) for every identity of the person."""
    available = consent_purposes(session)
    kind = T(request.type)
    devices: list[str] = []
    note = ""
    if kind is T.withdraw_consent:
        keys = request.purposes or list(available)
        chosen = [available[k] for k in keys if k in available]
    else:
        chosen = [p for p in available.values() if getattr(p.definition, MARKED[kind])]
        devices, note = _devices(session, request) if chosen else ([], "")
    who = subjects(request, devices)
    try:
        jurisdiction = current_jurisdiction(session)
    except NotFound:
        jurisdiction = request.jurisdiction
    done, _records = optout.withdraw(
        session,
        subjects=who,
        purposes=chosen,
        method=Method.request,
        context=Context(actor=actor, jurisdiction=jurisdiction),
        jurisdiction=jurisdiction,
        evidence={"request_id": request.id, "request_type": request.type},
    )
    titles = {p.key: p.definition.title for p in chosen}
    return {
        "handler": rights.CONSENT,
        "purposes": [{"key": p.key, "title": titles[p.key]} for p in chosen],
        "withdrawn": sorted(done.withdrawn),
        "refused": sorted(done.refused - done.withdrawn),
        "identities": len(who) - len(devices),
        "devices": len(devices),
        "devices_not_searched": note,
    }
