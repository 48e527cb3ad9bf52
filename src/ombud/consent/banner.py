"""The cookie banner's model: categories from the data map's cookies, the versioned cookie
notice, allowed site origins, and recording a visitor's choice for an anonymous device."""

from __future__ import annotations

import json
import uuid
from contextlib import suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import cookies as own_cookies
from ombud.consent import ledger, repository
from ombud.consent.banner_texts import category_text, texts
from ombud.consent.ledger import Context, Entry
from ombud.consent.purposes import (
    NoticeRef,
    PurposeDef,
    current_map,
    current_notice,
)
from ombud.consent.schemas import DecisionKind, Method, SubjectKind
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import Cookie, CookieCategory, DataMap
from ombud.datamap.translate import own
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.models.consent import ConsentRecord
from ombud.origin import origin_of as shared_origin_of

# Key of the cookie notice in the notices table: one versioned notice for the whole banner.
NOTICE_KEY = "cookie_notice"
NECESSARY = CookieCategory.strictly_necessary.value
# Which consented data uses a cookie category stands for (first match in the data map wins);
# a category without one is recorded under "cookies.<category>".
CATEGORY_USES = {
    "functional": ("functional",),
    "analytics": ("analytics",),
    "advertising": ("marketing.advertising", "advertising"),
}

_MAPS: dict[str, DataMap] = {}


@dataclass(frozen=True)
class Category:
    """One banner category with its cookies and the ledger purpose its choice goes to."""

    key: str
    purpose: str
    required: bool
    gpc: bool
    cookies: tuple[Cookie, ...]


def _datamap(session: Session) -> tuple[DataMap, str]:
    info = current_map(session)
    key = info.version_key
    found = _MAPS.get(key) if key else None
    if found is None:
        found = datamap_service.get_current(session)
        if key:
            _MAPS.clear()  # only the map in force is ever needed
            _MAPS[key] = found
    return found, key


def _purpose_for(category: str, datamap: DataMap, session: Session) -> tuple[str, bool]:
    for definition in current_map(session).purposes:
        if definition.kind != "declaration":
            continue
        use = definition.data_use
        if any(use == u or use.startswith(u + ".") for u in CATEGORY_USES.get(category, ())):
            return definition.key, definition.gpc_applies
    return f"cookies.{category}", category == "advertising"


def banner_cookie(settings: Settings, provider: str) -> Cookie:
    """The banner's own device cookie, declared strictly necessary."""
    months = max(1, round(settings.banner_expiry_days / 30.4))
    cookie = own_cookies.BANNER.as_datamap_cookie(provider)
    return cookie.model_copy(update={"duration": f"{months} months"})


def categories(session: Session, settings: Settings) -> list[Category]:
    """Banner categories in a fixed order: strictly necessary first, then those with cookies."""
    datamap, _key = _datamap(session)
    provider = datamap.organization.name
    grouped: dict[str, list[Cookie]] = {c.value: [] for c in CookieCategory}
    grouped[NECESSARY].append(banner_cookie(settings, provider))
    for cookie in datamap.cookie:
        if cookie.name != own_cookies.BANNER.name:
            grouped[cookie.category.value].append(cookie)
    out: list[Category] = []
    for key, items in grouped.items():
        if key != NECESSARY and not items:
            continue
        purpose, gpc = ("", False) if key == NECESSARY else _purpose_for(key, datamap, session)
        out.append(Category(key, purpose, key == NECESSARY, gpc, tuple(items)))
    return out


def _notice_text(cats: list[Category], consent_mode: bool) -> str:
    # Canonical JSON of everything the visitor is asked about: a new cookie, purpose or text
    # gives a new notice version, and only that re-prompts the visitor.
    doc = {
        "categories": [
            {
                "key": c.key,
                "purpose": c.purpose,
                "cookies": [
                    [k.name, k.provider, k.duration, k.purpose, k.kind, k.domain] for k in c.cookies
                ],
            }
            for c in cats
        ],
        "google_consent_mode": consent_mode,
    }
    return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def consent_mode(datamap: DataMap) -> bool:
    """Whether the data map says the site uses Google Consent Mode v2."""
    return bool((datamap.organization.model_extra or {}).get("google_consent_mode", False))


def notice(session: Session, settings: Settings) -> tuple[NoticeRef, list[Category]]:
    """The current cookie notice (a new version whenever the categories change)."""
    cats = categories(session, settings)
    datamap, key = _datamap(session)
    text = _notice_text(cats, consent_mode(datamap))
    definition = PurposeDef(
        key=NOTICE_KEY,
        title="Cookie notice",
        kind="banner",
        data_use="",
        notice_text=text,
        double_opt_in=False,
        gpc_applies=False,
    )
    return current_notice(session, definition, key), cats


def config(session: Session, settings: Settings, *, lang: str, gpc: bool) -> dict[str, Any]:
    """The JSON the banner script loads: texts, categories with cookies, notice version."""
    ref, cats = notice(session, settings)
    datamap, _key = _datamap(session)
    base = settings.base_url.rstrip("/")
    ui = texts(lang)
    return {
        "lang": ui["lang"],
        "notice": {"version": ref.version, "hash": ref.content_hash},
        "expiry_days": settings.banner_expiry_days,
        "google_consent_mode": consent_mode(datamap),
        "gpc": gpc,
        "statement_url": f"{base}/privacy/statement",
        "decision_url": f"{base}/privacy/consent/decision",
        "texts": ui["texts"],
        "categories": [
            {
                "key": c.key,
                "required": c.required,
                "gpc": c.gpc,
                **category_text(c.key, ui["lang"]),
                "cookies": [
                    {
                        "name": k.name,
                        "provider": k.provider,
                        # The map's own words (Ombud's cookies too) in the banner's language.
                        "duration": own(datamap, k.duration, ui["lang"]),
                        "purpose": own(datamap, k.purpose, ui["lang"]),
                        "kind": k.kind,
                    }
                    for k in c.cookies
                ],
            }
            for c in cats
        ],
    }


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL (default ports left out); "" when it has none."""
    parts = urlsplit(url.strip())
    return shared_origin_of(url) if parts.scheme and parts.netloc else ""


def allowed_origins(session: Session, settings: Settings) -> set[str]:
    """Site origins that may embed the banner: the setting plus the organisation's website."""
    found = {origin_of(o) for o in settings.banner_origins.split(",")}
    found.add(origin_of(settings.base_url))
    with suppress(NotFound):  # no data map yet: the setting alone decides
        found.add(origin_of(current_map(session).website))
    return found - {""}


@dataclass(frozen=True)
class Choice:
    """A visitor's banner choice as the script sends it."""

    device_id: str
    choices: dict[str, bool]
    notice_hash: str
    page: str
    gpc: bool


def record(
    session: Session, settings: Settings, choice: Choice, context: Context
) -> list[dict[str, Any]]:
    """Write one ledger record per category for the device; GPC refuses sale/sharing ones."""
    entries = choice_entries(session, settings, choice, context)
    return receipts_of(entries, ledger.write(session, entries, settings))


def receipts_of(entries: list[Entry], written: list[ConsentRecord]) -> list[dict[str, Any]]:
    """Category, decision and receipt id of each record written for a choice."""
    return [
        {"category": e.evidence["category"], "decision": r.decision, "receipt_id": r.receipt_id}
        for e, r in zip(entries, written, strict=True)
    ]


def choice_entries(
    session: Session, settings: Settings, choice: Choice, context: Context
) -> list[Entry]:
    """The validated ledger entries of a choice, one per optional category (not written)."""
    try:
        device = str(uuid.UUID(choice.device_id))
    except ValueError:
        raise InvalidInput(f"device_id: '{choice.device_id[:60]}' is not a UUID") from None
    ref, cats = notice(session, settings)
    if choice.notice_hash != ref.content_hash:
        seen = repository.notice_by_hash(session, NOTICE_KEY, choice.notice_hash)
        if seen is None:
            raise InvalidInput(f"notice_hash: '{choice.notice_hash[:64]}' is no cookie notice")
        raise Conflict(
            f"the cookie notice changed (version {seen.version} shown, {ref.version} current); "
            "reload the banner and ask again"
        )
    by_key = {c.key: c for c in cats}
    unknown = sorted(set(choice.choices) - set(by_key))
    if unknown:
        raise InvalidInput(
            f"choices: unknown categories {', '.join(unknown)} (known: {', '.join(by_key)})"
        )
    subject = ledger.make_subject(SubjectKind.device, device, settings)
    jurisdiction = context.jurisdiction or current_map(session).jurisdiction
    entries: list[Entry] = []
    for cat in cats:
        if cat.required:
            continue
        granted = bool(choice.choices.get(cat.key, False)) and not (choice.gpc and cat.gpc)
        state = repository.get_state(session, subject.hash, cat.purpose)
        if granted:
            decision = DecisionKind.granted
        elif state is not None and state.decision == DecisionKind.granted:
            decision = DecisionKind.withdrawn
        else:
            decision = DecisionKind.refused
        evidence = {
            "category": cat.key,
            "choices": {k: bool(v) for k, v in sorted(choice.choices.items())},
            "gpc": choice.gpc,
            "refused_by_gpc": choice.gpc and cat.gpc,
            "page": choice.page,
        }
        entries.append(
            Entry(
                subject,
                cat.purpose,
                decision.value,
                Method.banner.value,
                ref,
                jurisdiction,
                context,
                evidence,
            )
        )
    return entries
