"""What an access package adds from Ombud's own records about the person: their consent
history from the ledger and the supervisory authority of their request's jurisdiction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import package as consent_package
from ombud.datamap.schemas import Authority, DataMap
from ombud.dsr import jurisdictions, wording
from ombud.dsr import service as dsr_service


@dataclass(frozen=True)
class PersonRecords:
    """The consent history and complaint authority of one request's person."""

    consents: list[dict[str, Any]] = field(default_factory=list)
    authority: Authority | None = None


def read_ahead(session: Session, request_ids: list[str], *, settings: Settings) -> None:
    """Read the consent histories of these requests' people in one go, for this transaction's
    packages (the requests are locked already)."""
    emails = [r.email for r in (dsr_service.get(session, rid) for rid in request_ids) if r.email]
    if emails:
        consent_package.read_ahead(session, emails, settings)


def records_for(
    session: Session, request_id: str, datamap: DataMap, *, settings: Settings
) -> PersonRecords:
    """Read the person's consent decisions (by the request's email) and the authority."""
    request = dsr_service.get(session, request_id)
    consents = (
        consent_package.history_for_package(session, email=request.email, settings=settings)
        if request.email
        else []
    )
    juris = jurisdictions.build(datamap.jurisdiction).get(request.jurisdiction)
    return PersonRecords(consents, wording.authority_for(datamap, juris))
