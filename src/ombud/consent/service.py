"""Consent ledger services: record decisions, read state and history, bulk checks, erasure."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.consent import ledger, objections, repository, repository_subjects
from ombud.consent.ledger import Context, Entry, Subject
from ombud.consent.purposes import (
    MapInfo,
    NoticeRef,
    Purpose,
    current_map,
    get_purpose,
    latest_known_map,
    list_purposes,
)
from ombud.consent.schemas import (
    BulkCheck,
    BulkCheckCreate,
    Decision,
    DecisionCreate,
    DecisionKind,
    Method,
    State,
    SubjectKind,
    SubjectRef,
)
from ombud.consent.schemas import Purpose as PurposeOut
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.models.consent import ConsentRecord

__all__ = [
    "check_contactable",
    "contactable_emails",
    "erase_subject",
    "history",
    "record_decision",
    "record_decisions",
    "states",
    "suppressed",
]


def _entry(
    session: Session,
    *,
    subject: Subject,
    purpose: str,
    decision: str,
    method: str,
    context: Context,
    info: MapInfo,
    notice_version: int | None = None,
    evidence: dict[str, Any] | None = None,
) -> Entry:
    try:
        decision = DecisionKind(decision).value
    except ValueError:
        raise InvalidInput(
            f"decision: '{decision}' is not one of granted, refused, withdrawn"
        ) from None
    try:
        method = Method(method).value
    except ValueError:
        known = ", ".join(m.value for m in Method)
        raise InvalidInput(f"method: '{method}' is not one of {known}") from None
    if method == Method.gpc and decision == DecisionKind.granted:
        raise InvalidInput("decision: a GPC signal can only refuse or withdraw, never grant")
    p = get_purpose(session, purpose, info)
    notice = p.notice
    if notice_version is not None and notice_version != notice.version:
        found = repository.notice_by_version(session, purpose, notice_version)
        if found is None:
            raise InvalidInput(
                f"notice_version: purpose '{purpose}' has no notice version {notice_version} "
                f"(current is {notice.version})"
            )
        notice = NoticeRef.of(found)
    jurisdiction = context.jurisdiction or info.jurisdiction
    return Entry(
        subject=subject,
        purpose=purpose,
        decision=decision,
        method=method,
        notice=notice,
        jurisdiction=jurisdiction,
        context=context,
        evidence=evidence or {},
    )


def current_jurisdiction(session: Session) -> str:
    """Default jurisdiction of records: the data map organisation's first one."""
    return current_map(session).jurisdiction


def subject_of(ref: SubjectRef, settings: Settings | None = None) -> Subject:
    """The hashed identity named by a request body."""
    if ref.email:
        return ledger.make_subject(SubjectKind.email, ref.email, settings)
    if ref.account_id:
        return ledger.make_subject(SubjectKind.account, ref.account_id, settings)
    assert ref.device_id
    return ledger.make_subject(SubjectKind.device, ref.device_id, settings)


def record_decision(
    session: Session,
    *,
    email: str | None = None,
    purpose: str,
    decision: str,
    method: str,
    account_id: str | None = None,
    device_id: str | None = None,
    context: Context | None = None,
    notice_version: int | None = None,
    evidence: dict[str, Any] | None = None,
    settings: Settings | None = None,
) -> ConsentRecord:
    """Record one decision (proof plus current state) in the caller's transaction."""
    try:
        ref = SubjectRef(email=email, account_id=account_id, device_id=device_id)
    except ValueError:
        raise InvalidInput("subject: give exactly one of email, account_id or device_id") from None
    ctx = context or Context()
    entry = _entry(
        session,
        subject=subject_of(ref, settings),
        purpose=purpose,
        decision=decision,
        method=method,
        context=ctx,
        info=current_map(session),
        notice_version=notice_version,
        evidence=evidence,
    )
    return ledger.write(session, [entry], settings)[0]


def record_decisions(
    session: Session,
    *,
    items: Sequence[DecisionCreate],
    actor: str,
    settings: Settings | None = None,
) -> list[ConsentRecord]:
    """Validate every decision first, then write them all; one bad item writes nothing."""
    # The data map this process saw last, checked by the write itself: one query fewer on
    # the busiest path. Whatever it refused is looked at again against the map in force.
    info = latest_known_map(session)
    try:
        entries = _entries(session, items, actor, settings, info)
    except InvalidInput:
        fresh = current_map(session)
        if fresh is info:
            raise
        info, entries = fresh, _entries(session, items, actor, settings, fresh)
    written = ledger.write_checked(
        session, entries, map_version=info.version_key, settings=settings
    )
    if written is None:  # another process applied a new data map meanwhile
        info = current_map(session)
        entries = _entries(session, items, actor, settings, info)
        written = ledger.write_checked(
            session, entries, map_version=info.version_key, settings=settings
        )
    if written is None:
        raise Conflict("the data map changed while the decision was recorded; send it again")
    return written


def decision_entries(
    session: Session,
    items: Sequence[DecisionCreate],
    *,
    actor: str,
    settings: Settings | None,
    info: MapInfo,
) -> list[Entry]:
    """Validated ledger entries of ``items`` against data map ``info`` (for the batcher)."""
    return _entries(session, items, actor, settings, info)


def _entries(
    session: Session,
    items: Sequence[DecisionCreate],
    actor: str,
    settings: Settings | None,
    info: MapInfo,
) -> list[Entry]:
    entries: list[Entry] = []
    for i, item in enumerate(items):
        try:
            ctx = Context(
                source_url=item.source_url,
                user_agent=item.user_agent,
                ip=item.ip if ledger.check_ip(item.ip) else None,
                jurisdiction=item.jurisdiction,
                actor=actor,
            )
            entries.append(
                _entry(
                    session,
                    subject=subject_of(item, settings),
                    purpose=item.purpose,
                    decision=item.decision.value,
                    method=item.method.value,
                    context=ctx,
                    info=info,
                    notice_version=item.notice_version,
                )
            )
        except InvalidInput as exc:
            where = f"decisions[{i}]." if len(items) > 1 else ""
            raise InvalidInput(f"{where}{exc.message}", detail={"index": i}) from None
    return entries


def to_decision(rec: ConsentRecord) -> Decision:
    """The staff view of a record."""
    return Decision(
        receipt_id=rec.receipt_id,
        subject_kind=rec.subject_kind,
        subject=rec.subject,
        purpose=rec.purpose,
        decision=rec.decision,
        method=rec.method,
        notice_version=rec.notice_version,
        notice_hash=rec.notice_hash,
        jurisdiction=rec.jurisdiction,
        recorded_at=rec.recorded_at,
        source_url=rec.source_url,
        user_agent=rec.user_agent,
        ip=rec.ip,
        actor=rec.actor,
        evidence=rec.evidence or {},
        erased=rec.erased_at is not None,
    )


def states(session: Session, *, subject: Subject) -> list[State]:
    """Current state of every purpose the subject decided on."""
    return [
        State(
            purpose=st.purpose,
            decision=st.decision,
            method=st.method,
            updated_at=st.updated_at,
            receipt_id=receipt_id,
        )
        for st, receipt_id in repository_subjects.states_of(session, subject.hash)
    ]


def history(session: Session, *, subject: Subject) -> list[ConsentRecord]:
    """Every decision of the subject, oldest first."""
    return repository_subjects.history_of(session, subject.hash)


def get_record(session: Session, *, receipt_id: str) -> ConsentRecord:
    """The record behind a receipt, or ``NotFound``."""
    rec = repository.record_by_receipt(session, receipt_id)
    if rec is None:
        raise NotFound(f"no consent record with receipt id '{receipt_id}'")
    return rec


def check_contactable(
    session: Session, *, body: BulkCheckCreate, settings: Settings | None = None
) -> BulkCheck:
    """Which identities may be contacted for the purpose: granted (no state means not
    contactable), or any for a legitimate-interest purpose; objections and, on legitimate
    interests, restrictions exclude."""
    try:
        get_purpose(session, body.purpose)
        interest = False
    except InvalidInput:
        if not objections.is_legitimate_interest(session, body.purpose):
            raise
        interest = True
    hashes = ledger.hash_many(body.identity_type.value, body.identities, settings)
    if interest:
        positions = list(range(len(hashes)))
    else:
        positions = repository.granted_positions(session, body.purpose, hashes)
    blocked = objections.objected(session, body.purpose, [hashes[i] for i in positions])
    limited = objections.restricted(session, hashes)
    if interest:
        # Art. 18(2): restricted data is processed only with consent (or for legal claims).
        blocked |= limited
    contactable = [body.identities[i] for i in positions if hashes[i] not in blocked]
    return BulkCheck(
        purpose=body.purpose,
        checked=len(body.identities),
        contactable=contactable,
        not_contactable=len(body.identities) - len(contactable),
        restricted=[v for v, h in zip(body.identities, hashes, strict=True) if h in limited],
    )


def contactable_emails(session: Session, *, purpose: str) -> list[str]:
    """Raw emails whose current state for ``purpose`` is granted (erased ones are left out)."""
    get_purpose(session, purpose)
    rows = repository.subjects_with(session, purpose, [DecisionKind.granted.value])
    return [raw for raw, _h, _d, _at in rows if raw]


def suppressed(session: Session, *, purpose: str) -> Iterator[tuple[str | None, str, str]]:
    """Identities that must not be contacted: (raw email or None if erased, hash, decision)."""
    if not objections.is_legitimate_interest(session, purpose):
        get_purpose(session, purpose)
    refused = [DecisionKind.refused.value, DecisionKind.withdrawn.value]
    listed: set[str] = set()
    for raw, h, decision, _at in repository.subjects_with(session, purpose, refused):
        listed.add(h)
        yield raw, h, decision
    # Objections (Art. 21) are kept by hash only: listed as such unless already refused.
    for h in objections.objecting(session, purpose):
        if h not in listed:
            yield None, h, "objected"


def erase_subject(session: Session, *, email: str, actor: str = "system") -> int:
    """Remove the raw identity, user agent and IP from every record of ``email``; keep proof."""
    subject = ledger.email_subject(email)
    count = repository_subjects.erase(session, subject.hash, utcnow())
    audit.record(
        session,
        action="consent.erase",
        actor=actor,
        subject_type="consent_subject",
        subject_id=subject.hash[:32],
        data={"records": count},
    )
    return count


def purposes(session: Session) -> list[PurposeOut]:
    """Every consentable purpose with its current notice."""
    return [_purpose_out(p) for p in list_purposes(session)]


def _purpose_out(p: Purpose) -> PurposeOut:
    d = p.definition
    return PurposeOut(
        key=d.key,
        title=d.title,
        kind=d.kind,
        data_use=d.data_use,
        double_opt_in=d.double_opt_in,
        gpc_applies=d.gpc_applies,
        notice_version=p.notice.version,
        notice_hash=p.notice.content_hash,
        notice_text=p.notice.text,
    )
