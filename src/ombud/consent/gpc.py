"""Global Privacy Control (and DNT when honoured): an opt-out of sale, sharing and targeted
advertising for the browser (device id cookie) and the identity linked to it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import ledger, optout
from ombud.consent.ledger import Context, Subject
from ombud.consent.purposes import list_purposes
from ombud.consent.schemas import Method
from ombud.consent.service import current_jurisdiction
from ombud.models.consent import ConsentRecord

# Date this site's GPC support last changed (served in /.well-known/gpc.json).
GPC_LAST_UPDATE = date(2026, 11, 24)


def signal_present(headers: Mapping[str, str], settings: Settings) -> tuple[bool, str]:
    """Whether the request carries an opt-out signal, and which header ("Sec-GPC" or "DNT")."""
    if headers.get("sec-gpc", "").strip() == "1":
        return True, "Sec-GPC"
    if settings.honour_dnt and headers.get("dnt", "").strip() == "1":
        return True, "DNT"
    return False, ""


def well_known() -> dict[str, object]:
    """Body of ``/.well-known/gpc.json``."""
    return {"gpc": True, "lastUpdate": GPC_LAST_UPDATE.isoformat()}


def apply_signal(
    session: Session,
    *,
    device_id: str,
    email: str | None,
    header: str,
    context: Context,
    settings: Settings | None = None,
) -> list[ConsentRecord]:
    """Record the opt-out for every GPC purpose not already refused or explicitly re-granted."""
    purposes = [p for p in list_purposes(session) if p.definition.gpc_applies]
    if not purposes:
        return []
    subjects: list[Subject] = [ledger.make_subject("device", device_id, settings)]
    if email:
        subjects.append(ledger.email_subject(email, settings))
    jurisdiction = context.jurisdiction or current_jurisdiction(session)
    records: list[ConsentRecord] = []
    # One subject at a time: the evidence says whether the identity was linked to the device.
    for subject in subjects:
        evidence = {"signal": header, "device_linked": subject.kind != "device"}
        _done, written = optout.withdraw(
            session,
            subjects=[subject],
            purposes=purposes,
            method=Method.gpc,
            context=context,
            jurisdiction=jurisdiction,
            evidence=evidence,
            later_grant_wins=True,
        )
        records += written
    return records
