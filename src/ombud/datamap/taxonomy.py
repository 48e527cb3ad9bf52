"""Data categories, data uses and data subjects: fideslang's default taxonomy plus the map's own.

Custom entries and label overrides come from ``DataMap.taxonomy``, e.g.
``taxonomy: {data_category: [{fides_key: user.contact.email, name: "Email address"}]}``."""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import cache
from typing import Literal

from fideslang.default_taxonomy import DEFAULT_TAXONOMY

from ombud.datamap.schemas import DataMap

Kind = Literal["data_category", "data_use", "data_subject"]
KINDS: tuple[Kind, ...] = ("data_category", "data_use", "data_subject")

# Plain words for keys whose fideslang names read poorly in a privacy statement or ROPA.
PLAIN_LABELS: dict[str, str] = {
    "user.contact.email": "Email address",
    "user.contact.phone_number": "Phone number",
    "user.contact.address": "Postal address",
    "user.contact.address.street": "Street address",
    "user.contact.address.city": "City",
    "user.contact.address.postal_code": "Postal code",
    "user.contact.address.country": "Country",
    "user.contact.address.state": "State or region",
    "user.name": "Name",
    "user.device.ip_address": "IP address",
    "user.device.cookie_id": "Cookie identifier",
    "user.financial": "Financial information",
    "user.financial.bank_account": "Bank account details",
    "user.financial.credit_card": "Payment card details",
    "user.payment": "Payment information",
    "user.account": "Account information",
    "user.authorization.credentials": "Passwords and other credentials",
    "user.content": "Content you create",
    "user.content.private": "Private content (such as emails and files)",
    "user.behavior.browsing_history": "Browsing history",
    "user.behavior.purchase_history": "Purchase history",
    "user.unique_id": "Unique identifiers",
}


def _custom(kind: Kind, datamap: DataMap | None) -> dict[str, dict[str, object]]:
    if datamap is None:
        return {}
    out: dict[str, dict[str, object]] = {}
    for entry in datamap.taxonomy.get(kind, []):
        key = entry.get("fides_key")
        if isinstance(key, str):
            out[key] = entry
    return out


@cache
def _defaults(kind: Kind) -> dict[str, tuple[str, str]]:
    """{fides_key: (name, description)} of fideslang's default taxonomy for one kind."""
    items = getattr(DEFAULT_TAXONOMY, kind)
    return {str(i.fides_key): (str(i.name or ""), str(i.description or "")) for i in items}


def keys(kind: Kind, datamap: DataMap | None = None) -> set[str]:
    """Every valid key of ``kind``: fideslang defaults plus the map's custom entries."""
    return set(_defaults(kind)) | set(_custom(kind, datamap))


def _humanise(key: str) -> str:
    return key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def label(kind: Kind, key: str, datamap: DataMap | None = None) -> str:
    """Plain-words label of a key (map override, then Ombud's wording, then fideslang's)."""
    custom = _custom(kind, datamap).get(key, {})
    name = custom.get("name")
    if isinstance(name, str) and name:
        return name
    if kind == "data_category" and key in PLAIN_LABELS:
        return PLAIN_LABELS[key]
    default = _defaults(kind).get(key)
    if default and default[0]:
        text = default[0]
        # fideslang prefixes many names with "User " / "User Contact "; a reader does not need it.
        for prefix in ("User Contact ", "User "):
            if kind == "data_category" and text.startswith(prefix) and len(text) > len(prefix):
                text = text[len(prefix) :]
                text = text[0].upper() + text[1:]
                break
        return text
    return _humanise(key)


def description(kind: Kind, key: str, datamap: DataMap | None = None) -> str:
    """Description of a key (map override first); empty when unknown."""
    custom = _custom(kind, datamap).get(key, {})
    text = custom.get("description")
    if isinstance(text, str) and text:
        return text
    default = _defaults(kind).get(key)
    return default[1] if default else ""


def _score(wrong: str, candidate: str) -> float:
    ratio = SequenceMatcher(None, wrong, candidate).ratio()
    # A key whose last part matches ("email" -> "user.contact.email") is very likely meant.
    if wrong.rsplit(".", 1)[-1] == candidate.rsplit(".", 1)[-1]:
        ratio += 0.3
    return ratio


def suggest(kind: Kind, key: str, datamap: DataMap | None = None) -> str | None:
    """The valid key nearest to ``key``, or None if nothing is reasonably close."""
    best: tuple[float, str] | None = None
    for candidate in sorted(keys(kind, datamap)):
        score = _score(key, candidate)
        if best is None or score > best[0]:
            best = (score, candidate)
    if best is None or best[0] < 0.6:
        return None
    return best[1]


def is_personal_category(key: str) -> bool:
    """True for categories describing people; False for ``system`` and ``system.*``."""
    return key != "system" and not key.startswith("system.")
