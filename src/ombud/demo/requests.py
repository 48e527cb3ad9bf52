"""Requests waiting in the demo's queue, so the staff console has something to show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.dsr import queue, repository, service
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.models.requests import PrivacyRequest

ACTOR = "ombud demo"
PROOF = "demo: identity card seen at the front desk"


@dataclass(frozen=True)
class Sample:
    """One demo request: who, what, how long ago it arrived and where it should stand."""

    email: str
    type: str
    jurisdiction: str
    days_ago: int
    state: str  # unverified, verified, approved, completed, denied


SAMPLES = (
    Sample("lena.vogt@example.com", "access", "gdpr", 2, "unverified"),
    Sample("tom.becker@example.com", "erasure", "gdpr", 6, "verified"),
    # Received 26 days ago under a one-month deadline: due within the week.
    Sample("mira.schulz@example.com", "rectification", "gdpr", 26, "verified"),
    # Received 40 days ago and never decided: overdue.
    Sample("jonas.klein@example.com", "restriction", "gdpr", 40, "verified"),
    Sample("sam.carter@example.com", "portability", "uk_gdpr", 8, "approved"),
    Sample("ana.lopez@example.com", "access", "ccpa", 20, "completed"),
    Sample("max.roth@example.com", "objection", "gdpr", 15, "denied"),
)


def _create(session: Session, sample: Sample) -> PrivacyRequest:
    fields: dict[str, object] = {
        "type": sample.type,
        "email": sample.email,
        "jurisdiction": sample.jurisdiction,
        "details": "Entered by the demo.",
    }
    if sample.type == "rectification":
        fields["rectification"] = {"accounts.name": "Mira Schulz-Berger"}
    data = PrivacyRequestCreate.model_validate(fields)
    reason = "" if sample.state == "unverified" else PROOF
    return service.create(
        session,
        data=data,
        actor=ACTOR,
        verified_reason=reason,
        received_at=utcnow() - timedelta(days=sample.days_ago),
    )


def seed(session: Session, *, staff_email: str) -> list[PrivacyRequest]:
    """Create the sample requests (once: nothing when the store already holds requests)."""
    if repository.count(session):
        return []
    out: list[PrivacyRequest] = []
    for sample in SAMPLES:
        request = _create(session, sample)
        rid = request.id
        if sample.state == "verified":
            queue.assign(session, rid, assignee=staff_email, actor=ACTOR)
        elif sample.state in ("approved", "completed"):
            service.approve(session, rid, actor=staff_email)
        if sample.state == "completed":
            service.start_execution(session, rid, actor=ACTOR)
            service.complete_execution(session, rid, actor=ACTOR, result={"counts": {}})
        elif sample.state == "denied":
            service.deny(
                session,
                rid,
                actor=staff_email,
                reason="We hold no data about you that we process on legitimate interests.",
            )
        out.append(request)
    return out
