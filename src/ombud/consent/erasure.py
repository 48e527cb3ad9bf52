"""Erasure reaches Ombud's own consent ledger.

When a person's erasure request completes, every consent they granted is withdrawn and every
purpose they never decided is refused (so no list can mail them), their pending confirmations
and one-time codes are deleted, the preference sessions and links issued before are void, and
the raw identity (with user agent and IP) leaves every record and state. What stays is the
keyed hash of the identity in the states and records: a suppression entry that the bulk check
and the suppression export still honour, and the proof of what was decided when.

A fresh, explicit opt-in by the person afterwards (double opt-in or the preference center, by
code) is a new decision and is recorded as any other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.consent import ledger, repository, repository_subjects
from ombud.consent.ledger import Context, Entry, Subject
from ombud.consent.purposes import NoticeRef, Purpose, list_purposes
from ombud.consent.schemas import DecisionKind, SubjectKind
from ombud.consent.service import current_jurisdiction
from ombud.db import forget_per_transaction, once_per_transaction
from ombud.errors import InvalidInput, NotFound
from ombud.models.consent import ConsentState

METHOD = "erasure"
# Request identity names -> ledger subject kinds.
KINDS = {"email": SubjectKind.email, "account_id": SubjectKind.account}


@dataclass(frozen=True)
class LedgerErasure:
    """What erasure did to the ledger for one person."""

    subjects: int
    withdrawn: list[str]
    refused: list[str]
    records_erased: int

    def as_dict(self) -> dict[str, object]:
        """For the request's result."""
        return {
            "subjects": self.subjects,
            "withdrawn": self.withdrawn,
            "suppressed": sorted({*self.withdrawn, *self.refused}),
            "records_erased": self.records_erased,
        }


# States read ahead for this transaction's erasures: {subject hash: states}, each used once.
_STATES_AHEAD = "consent_erasure_states"


def read_ahead(
    session: Session, people: Sequence[dict[str, str]], settings: Settings | None = None
) -> None:
    """Read the consent states of these people's identities in one query, for the erasures
    of this transaction; each person's are used once, by the first erasure of them."""
    hashes = [s.hash for identities in people for s in _subjects(identities, settings)]
    found = repository_subjects.states_of_many(session, hashes)
    forget_per_transaction(session, _STATES_AHEAD)
    once_per_transaction(session, _STATES_AHEAD, lambda: found)


def _states_of(session: Session, subject_hash: str) -> list[tuple[ConsentState, str]]:
    ahead: dict[str, list[tuple[ConsentState, str]]]
    ahead = once_per_transaction(session, _STATES_AHEAD, dict)
    found = ahead.pop(subject_hash, None)  # a second erasure of them reads what the first wrote
    return found if found is not None else repository_subjects.states_of(session, subject_hash)


def _subjects(identities: dict[str, str], settings: Settings | None) -> list[Subject]:
    out: list[Subject] = []
    for name, value in identities.items():
        kind = KINDS.get(name)
        if kind is None or not str(value).strip():
            continue
        try:
            out.append(ledger.make_subject(kind, str(value), settings))
        except InvalidInput:  # an identity the ledger cannot hold was never recorded in it
            continue
    return out


def share_subjects(
    people: Sequence[dict[str, str]],
    others: Sequence[dict[str, str]],
    settings: Settings | None = None,
) -> bool:
    """True when someone among ``people`` (identities) is also among ``others``."""
    mine = {s.hash for identities in people for s in _subjects(identities, settings)}
    return any(s.hash in mine for identities in others for s in _subjects(identities, settings))


def erase_person(
    session: Session,
    *,
    identities: dict[str, str],
    actor: str,
    request_id: str | None = None,
    settings: Settings | None = None,
) -> LedgerErasure:
    """Withdraw, suppress and forget one person's identities in the ledger (caller commits)."""
    (report,) = erase_people(session, [(request_id, identities)], actor=actor, settings=settings)
    return report


def erase_people(
    session: Session,
    people: Sequence[tuple[str | None, dict[str, str]]],
    *,
    actor: str,
    settings: Settings | None = None,
) -> list[LedgerErasure]:
    """``erase_person`` for each of ``people`` (erasure request id, identities), in order;
    the ledger is written, then erased, in one set of statements for all of them."""
    subjects = [_subjects(identities, settings) for _, identities in people]
    hashes = [s.hash for found in subjects for s in found]
    if len(people) > 1 and len(set(hashes)) < len(hashes):
        # Someone twice: the second erasure of them must see what the first wrote.
        return [erase_people(session, [p], actor=actor, settings=settings)[0] for p in people]
    # Its records change below (even with nothing to write): histories read ahead are stale.
    forget_per_transaction(session, ledger.READ_AHEAD)
    try:
        purposes = {p.key: p for p in list_purposes(session)}
        jurisdiction = current_jurisdiction(session)
    except NotFound:  # no data map: nothing can be offered, only what is stored is erased
        purposes, jurisdiction = {}, "gdpr"
    context = Context(actor=actor, jurisdiction=jurisdiction)
    entries: list[Entry] = []
    for (request_id, _), found in zip(people, subjects, strict=True):
        evidence = {"erasure_request": request_id} if request_id else {}
        for subject in found:
            entries += _entries(session, subject, purposes, jurisdiction, context, evidence)
    ledger.append(session, entries)
    erased = repository_subjects.erase_many(session, hashes, utcnow())
    reports: list[LedgerErasure] = []
    for (request_id, _), found in zip(people, subjects, strict=True):
        hashes_of = {s.hash for s in found}
        mine = [e for e in entries if e.subject.hash in hashes_of]
        report = LedgerErasure(
            len(found),
            sorted({e.purpose for e in mine if e.decision == DecisionKind.withdrawn}),
            sorted({e.purpose for e in mine if e.decision == DecisionKind.refused}),
            sum(erased[h] for h in hashes_of),
        )
        audit.record(
            session,
            action="consent.erased_by_request",
            actor=actor,
            subject_type="privacy_request",
            subject_id=request_id or "-",
            data=report.as_dict(),
        )
        reports.append(report)
    return reports


def _entries(
    session: Session,
    subject: Subject,
    purposes: dict[str, Purpose],
    jurisdiction: str,
    context: Context,
    evidence: dict[str, str],
) -> list[Entry]:
    """A subject's withdrawals (of what they granted) and refusals (of the purposes they never
    decided, for an email), written under the hash alone: no record holds the identity."""
    anonymous = Subject(subject.kind, None, subject.hash)
    entries: list[Entry] = []
    decided = set()
    for state, _receipt in _states_of(session, subject.hash):
        decided.add(state.purpose)
        if state.decision != DecisionKind.granted:
            continue
        found = purposes.get(state.purpose)
        notice = found.notice if found else _latest(session, state.purpose)
        if notice is not None:
            entries.append(
                Entry(
                    anonymous,
                    state.purpose,
                    DecisionKind.withdrawn,
                    METHOD,
                    notice,
                    jurisdiction,
                    context,
                    evidence,
                )
            )
    if subject.kind == SubjectKind.email:
        for key, p in purposes.items():
            if key not in decided:
                entries.append(
                    Entry(
                        anonymous,
                        key,
                        DecisionKind.refused,
                        METHOD,
                        p.notice,
                        jurisdiction,
                        context,
                        evidence,
                    )
                )
    return entries


def _latest(session: Session, purpose: str) -> NoticeRef | None:
    row = repository.latest_notice(session, purpose)
    return NoticeRef.of(row) if row is not None else None


def erased_since(session: Session, subject_hash: str, issued: datetime) -> bool:
    """True when the subject was erased at or after ``issued`` (a session or link older than
    the erasure no longer opens anything)."""
    at = repository_subjects.erased_at(session, subject_hash)
    return at is not None and at >= issued
