"""A browser's cookie choices in the preference center, and linking them to the person once
they verify an email (the banner's device cookie is readable when Ombud shares the host)."""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote

from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import banner, ledger, repository, repository_subjects
from ombud.consent import cookies as own_cookies
from ombud.consent.ledger import Context, Entry, Subject
from ombud.consent.purposes import NoticeRef
from ombud.consent.schemas import Method, SubjectKind
from ombud.consent.service import current_jurisdiction
from ombud.models.consent import ConsentRecord

LABELS = {"granted": "Allowed", "refused": "Refused", "withdrawn": "Withdrawn"}


def device_of(cookies: dict[str, str]) -> str | None:
    """The device id in the banner's cookie, or None when absent or malformed."""
    raw = cookies.get(own_cookies.BANNER.name)
    if not raw:
        return None
    try:
        value = json.loads(unquote(raw))
        return str(uuid.UUID(str(value["id"])))
    except (ValueError, KeyError, TypeError):
        return None


def _banner_records(session: Session, device: Subject) -> list[ConsentRecord]:
    out = []
    for _state, receipt in repository_subjects.states_of(session, device.hash):
        rec = repository.record_by_receipt(session, receipt)
        if rec is not None and rec.method == Method.banner:
            out.append(rec)
    return out


def browser_choices(session: Session, settings: Settings, device_id: str) -> list[dict[str, Any]]:
    """This browser's current cookie choice per banner category (recorded ones only)."""
    device = ledger.make_subject(SubjectKind.device, device_id, settings)
    by_purpose = {r.purpose: r for r in _banner_records(session, device)}
    out = []
    for cat in banner.categories(session, settings):
        rec = by_purpose.get(cat.purpose)
        if cat.required or rec is None:
            continue
        out.append(
            {
                "category": cat.key,
                "title": cat.key.replace("_", " ").capitalize(),
                "label": LABELS.get(rec.decision, rec.decision),
                "recorded_at": rec.recorded_at.strftime("%Y-%m-%d %H:%M"),
                "notice_version": rec.notice_version,
                "receipt_id": rec.receipt_id,
            }
        )
    return out


def link_device(
    session: Session, settings: Settings, device_id: str, person: Subject, context: Context
) -> list[ConsentRecord]:
    """Record the device's banner choices for the verified person, unless the person decided
    on that purpose later themselves."""
    device = ledger.make_subject(SubjectKind.device, device_id, settings)
    entries: list[Entry] = []
    jurisdiction = current_jurisdiction(session)
    for rec in _banner_records(session, device):
        mine = repository.get_state(session, person.hash, rec.purpose)
        if mine is not None and mine.updated_at >= rec.recorded_at:
            continue
        notice = NoticeRef(rec.notice_id, rec.purpose, rec.notice_version, rec.notice_hash, "", "")
        evidence = {"linked_from_device": True, "device_receipt": rec.receipt_id}
        evidence |= {"category": (rec.evidence or {}).get("category", "")}
        entries.append(
            Entry(
                person,
                rec.purpose,
                rec.decision,
                Method.banner.value,
                notice,
                rec.jurisdiction or jurisdiction,
                context,
                evidence,
            )
        )
    return ledger.write(session, entries, settings)


def on_verified(
    session: Session, settings: Settings, cookies: dict[str, str], person: Subject, ctx: Context
) -> None:
    """After a person verified their email: link this browser's cookie choices to them."""
    device = device_of(cookies)
    if device is not None:
        link_device(session, settings, device, person, ctx)


def for_page(session: Session, settings: Settings, cookies: dict[str, str]) -> dict[str, Any]:
    """Template values of the preference center's "cookies in this browser" section."""
    device = device_of(cookies)
    choices = browser_choices(session, settings, device) if device else []
    return {"browser_cookies": choices}
