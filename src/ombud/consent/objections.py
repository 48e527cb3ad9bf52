"""Objections (GDPR Art. 21) and restrictions (Art. 18) kept with the consent ledger, by the
keyed hash of each identity, so that ``/api/v1/consent/check`` and the suppression export
honour them like a refusal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.consent import repository_rights as repo
from ombud.consent.ledger import Subject
from ombud.consent.purposes import current_definitions
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.datamap.schemas_fides import LegalBasis
from ombud.errors import NotFound

MARKETING = "marketing"


@dataclass(frozen=True)
class Objectable:
    """A purpose a person may object to: processing on legitimate interests, keyed by its data
    use (like consent purposes), or a consent purpose of direct marketing."""

    key: str
    title: str
    marketing: bool  # direct marketing: the objection is absolute (Art. 21(3))
    consent: bool  # a consent purpose: objecting also withdraws the consent
    reason: str = ""  # the legitimate interest the data map states


def is_marketing(data_use: str) -> bool:
    """Direct marketing (Art. 21(2)): a ``marketing.*`` data use."""
    return data_use == MARKETING or data_use.startswith(MARKETING + ".")


def objectable(datamap: DataMap) -> list[Objectable]:
    """Legitimate-interest purposes of ``datamap``, then its consent purposes of marketing."""
    out: dict[str, Objectable] = {}
    for system in datamap.system:
        for decl in system.privacy_declarations:
            if decl.legal_basis == LegalBasis.legitimate_interests and decl.data_use not in out:
                out[decl.data_use] = Objectable(
                    decl.data_use,
                    decl.name or decl.data_use,
                    is_marketing(decl.data_use),
                    False,
                    " ".join(decl.legitimate_interest.split()),
                )
    return list(out.values())


def objectable_now(session: Session) -> list[Objectable]:
    """What a person may object to under the data map in force (nothing without a map)."""
    try:
        datamap = datamap_service.get_current(session)
    except NotFound:
        return []
    found = objectable(datamap)
    keys = {o.key for o in found}
    for d in current_definitions(session):
        if is_marketing(d.data_use) and d.key not in keys:
            found.append(Objectable(d.key, d.title, True, True))
    return found


def is_legitimate_interest(session: Session, purpose: str) -> bool:
    """True when ``purpose`` is processing on legitimate interests in the data map in force."""
    return any(o.key == purpose and not o.consent for o in objectable_now(session))


def record_objections(
    session: Session,
    *,
    subjects: Sequence[Subject],
    purposes: Sequence[str],
    request_id: str | None,
    actor: str,
) -> list[str]:
    """Keep the objection of every subject to every purpose; the purposes newly recorded."""
    now = utcnow()
    new: set[str] = set()
    for s in subjects:
        for purpose in purposes:
            if repo.add_objection(
                session,
                subject_hash=s.hash,
                subject_kind=s.kind,
                purpose=purpose,
                request_id=request_id,
                actor=actor,
                at=now,
            ):
                new.add(purpose)
    return sorted(new)


def objected(session: Session, purpose: str, hashes: Sequence[str]) -> set[str]:
    """The hashes that object to ``purpose``."""
    if not hashes or not repo.any_objection(session, purpose):
        return set()
    return repo.objected(session, purpose, hashes)


def objecting(session: Session, purpose: str, kind: str = "email") -> list[str]:
    """Hashes of every identity of ``kind`` objecting to ``purpose`` (for the suppression list)."""
    return list(repo.objecting(session, purpose, kind))


def restrict(session: Session, *, subjects: Sequence[Subject], request_id: str, actor: str) -> int:
    """Mark every subject restricted by this request; how many identities."""
    now = utcnow()
    for s in subjects:
        repo.add_restriction(
            session,
            subject_hash=s.hash,
            subject_kind=s.kind,
            request_id=request_id,
            actor=actor,
            at=now,
        )
    return len(subjects)


def restricted(session: Session, hashes: Sequence[str]) -> set[str]:
    """The hashes whose processing is restricted."""
    if not hashes or not repo.any_restriction(session):
        return set()
    return repo.restricted(session, hashes)


def lift(session: Session, *, request_id: str) -> int:
    """Remove the restrictions set by ``request_id``; how many identities were freed."""
    return repo.lift_restrictions(session, request_id)
