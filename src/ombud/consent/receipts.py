"""Consent receipts for the person, shaped after the Kantara Consent Receipt 1.1."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.config import Settings
from ombud.consent import repository, tokens
from ombud.consent.purposes import current_map
from ombud.models.consent import ConsentRecord

RECEIPT_VERSION = "KI-CR-v1.1.0"


def receipt_link(rec: ConsentRecord, settings: Settings | None = None) -> str:
    """A signed URL where the person can read the receipt of ``rec`` (HTML; add .json)."""
    s = settings or config.get_settings()
    token = tokens.sign(tokens.RECEIPT, {"r": rec.receipt_id}, s)
    return f"{s.base_url.rstrip('/')}/privacy/receipts/{token}"


def build(session: Session, rec: ConsentRecord, settings: Settings | None = None) -> dict[str, Any]:
    """Kantara-like receipt fields plus the decision and the exact notice shown."""
    s = settings or config.get_settings()
    info = current_map(session)
    notice = repository.notices_by_id(session, [rec.notice_id]).get(rec.notice_id)
    definition = next((p for p in info.purposes if p.key == rec.purpose), None)
    base = s.base_url.rstrip("/")
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": rec.jurisdiction,
        "consentTimestamp": int(rec.recorded_at.timestamp()),
        "recordedAt": rec.recorded_at.isoformat(),
        "collectionMethod": rec.method,
        "consentReceiptID": rec.receipt_id,
        "piiPrincipalId": rec.subject if rec.subject is not None else "(erased)",
        "piiControllers": [
            {
                "piiController": info.controller,
                "contact": info.contact_email,
                "address": info.address,
                "email": info.contact_email,
                "url": info.website,
            }
        ],
        "policyUrl": f"{base}/privacy/statement",
        "services": [
            {
                "service": definition.title if definition else rec.purpose,
                "purposes": [
                    {
                        "purpose": rec.purpose,
                        "purposeCategory": [definition.data_use if definition else rec.purpose],
                        "consentType": "EXPLICIT" if rec.method != "gpc" else "SIGNAL",
                        "piiCategory": list(definition.data_categories) if definition else [],
                        "primaryPurpose": True,
                        "termination": "until withdrawn; withdraw at "
                        + f"{base}/privacy/preferences",
                        "thirdPartyDisclosure": bool(definition and definition.recipients),
                        "thirdPartyName": ", ".join(definition.recipients) if definition else "",
                    }
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
        "decision": rec.decision,
        "notice": {
            "version": rec.notice_version,
            "sha256": rec.notice_hash,
            "text": notice.text if notice else "",
        },
        "sourceUrl": rec.source_url,
    }
