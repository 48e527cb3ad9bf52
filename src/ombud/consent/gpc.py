"""Global Privacy Control (and DNT when honoured): an opt-out of sale, sharing and targeted
advertising for the browser (device id cookie) and the identity linked to it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import ledger, repository
from ombud.consent.ledger import Context, Entry, Subject
from ombud.consent.purposes import list_purposes
from ombud.consent.schemas import DecisionKind, Method
from ombud.consent.service import current_jurisdiction
from ombud.models.consent import ConsentRecord, ConsentState

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


def _needs_optout(state: ConsentState | None) -> bool:
    if state is None:
        return True
    if state.decision != DecisionKind.granted:
        return False
    # A grant made explicitly after a signal was recorded is the person's later choice: it wins.
    return state.method == Method.gpc or state.gpc_at is None


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
    entries: list[Entry] = []
    for subject in subjects:
        for p in purposes:
            state = repository.get_state(session, subject.hash, p.key)
            if not _needs_optout(state):
                continue
            decision = DecisionKind.withdrawn if state is not None else DecisionKind.refused
            evidence = {"signal": header, "device_linked": subject.kind != "device"}
            entries.append(
                Entry(
                    subject, p.key, decision, Method.gpc, p.notice, jurisdiction, context, evidence
                )
            )
    return ledger.write(session, entries)
