"""Letters about a complaint: the acknowledgement with its reference and deadline, and the
answer naming the supervisory authority and any dispute-resolution body. Queued in the mail
outbox (sent after the commit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.dsr import jurisdictions, wording
from ombud.dsr import letters as dsr_letters
from ombud.errors import Conflict, NotFound
from ombud.models.complaints import Complaint
from ombud.outbox import service as outbox
from ombud.web.render import render

SUBJECTS = {
    "en": {
        "complaint_acknowledgement": "We received your complaint",
        "complaint_answer": "Our answer to your complaint",
    },
    "de": {
        "complaint_acknowledgement": "Wir haben Ihre Beschwerde erhalten",
        "complaint_answer": "Unsere Antwort auf Ihre Beschwerde",
    },
}


@dataclass(frozen=True)
class Body:
    """A body a letter names: the supervisory authority or a dispute-resolution provider."""

    name: str
    contact: str


def _datamap(session: Session) -> DataMap | None:
    try:
        return datamap_service.get_current(session)
    except NotFound:
        return None


def bodies(session: Session, complaint: Complaint) -> tuple[Body, list[Body]]:
    """The supervisory authority of the complaint's jurisdiction and the dispute-resolution
    bodies the rules (shipped or the data map's) name for it."""
    datamap = _datamap(session)
    juris = jurisdictions.load(session).get(complaint.jurisdiction)
    authority = wording.authority_text(wording.authority_for(datamap, juris))
    disputes = [Body(d.name, d.url or d.email) for d in (juris.dispute_resolution if juris else [])]
    return Body(authority.name, authority.contact), disputes


def language(session: Session, complaint: Complaint) -> str:
    """The complaint's language, else the data map's default, else English."""
    datamap = _datamap(session)
    default = datamap.organization.language if datamap is not None else None
    return wording.language_of(complaint.language, default)


def send(session: Session, complaint: Complaint, kind: str, *, actor: str, **context: Any) -> str:
    """Render and queue one letter to the person; return the outbox id."""
    if complaint.email is None:
        raise Conflict(f"complaint {complaint.reference} was purged; no letter can be sent")
    settings = config.get_settings()
    org = dsr_letters.organization(session)
    lang = language(session, complaint)
    authority, disputes = bodies(session, complaint)
    text = render(
        dsr_letters.template_for(kind, lang),
        org=org,
        complaint=complaint,
        authority=authority,
        disputes=disputes,
        when=lambda value: wording.when(value, lang),
        base_url=settings.base_url.rstrip("/"),
        **context,
    )
    subject = f"{SUBJECTS.get(lang, SUBJECTS['en'])[kind]} ({complaint.reference}, {org.name})"
    queued = outbox.enqueue(session, settings, to=complaint.email, subject=subject, text=text)
    # Which letter and where it was queued; never its text.
    audit.record(
        session,
        action="complaint.letter_queued",
        actor=actor,
        subject_type="complaint",
        subject_id=complaint.id,
        data={"kind": kind, "outbox_id": queued.id, "smtp_message_id": queued.message_id},
    )
    return queued.id
