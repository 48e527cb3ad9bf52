"""The CCPA's words for what the data map holds: fideslang categories to the statute's
categories of personal information (Cal. Civ. Code § 1798.140(v)(1)) and sensitive personal
information (§ 1798.140(ae)), and which uses of it need no right to limit. The longest
matching key prefix wins; docs/datamap.md lists the mapping."""

from __future__ import annotations

# Statute letters: see ``notices.sections_ccpa.statute_name`` for their words.
CATEGORY_TO_STATUTE: dict[str, str] = {
    "user": "A",
    "user.name": "A",
    "user.contact": "A",
    "user.contact.email": "A",
    "user.contact.address": "B",
    "user.contact.phone_number": "B",
    "user.unique_id": "A",
    "user.account": "A",
    "user.device": "F",
    "user.device.ip_address": "A",
    "user.device.cookie_id": "A",
    "user.device.device_id": "A",
    "user.government_id": "A",
    "user.financial": "B",
    "user.financial.credit_card": "B",
    "user.financial.bank_account": "B",
    "user.payment": "B",
    "user.behavior": "F",
    "user.behavior.browsing_history": "F",
    "user.behavior.purchase_history": "D",
    "user.demographic": "C",
    "user.demographic.language": "A",
    "user.biometric": "E",
    "user.location": "G",
    "user.location.precise": "G",
    "user.sensor": "H",
    "user.workplace": "I",
    "user.authorization": "L",
    "user.content": "H",
    "user.content.private": "L",
    "user.health_and_medical": "L",
    "user.privacy_preferences": "A",
}

# Sensitive personal information: account log-in with password, card or account numbers with
# their codes, precise geolocation, contents of mail and messages not addressed to us, health,
# government identifiers, biometrics (§ 1798.140(ae)).
SENSITIVE_PREFIXES = (
    "user.authorization",
    "user.financial.credit_card",
    "user.financial.bank_account",
    "user.government_id",
    "user.location.precise",
    "user.content.private",
    "user.health_and_medical",
    "user.biometric",
    "user.demographic.race_ethnicity",
    "user.demographic.religious_belief",
    "user.demographic.sexual_orientation",
    "user.genetic",
    "user.union_membership",
)

# Uses of sensitive personal information allowed without a right to limit (11 CCR § 7027(m)).
PERMITTED_SENSITIVE_USES = (
    "essential.service",
    "essential.fraud_detection",
    "essential.legal_obligation",
)


def _longest(table: dict[str, str], key: str) -> str | None:
    probe = key
    while probe:
        if probe in table:
            return table[probe]
        probe = probe.rpartition(".")[0]
    return None


def statute_category(key: str) -> str:
    """The statute letter (A to L) of a fideslang data category; identifiers when unknown."""
    return _longest(CATEGORY_TO_STATUTE, key) or "A"


def statute_categories(key: str) -> list[str]:
    """Every statute letter a category falls under: its own, and L when it is sensitive."""
    own = statute_category(key)
    return [own, "L"] if is_sensitive(key) and own != "L" else [own]


def is_sensitive(key: str) -> bool:
    """True for categories that are sensitive personal information."""
    return any(key == p or key.startswith(p + ".") for p in SENSITIVE_PREFIXES)


def permitted_sensitive_use(data_use: str) -> bool:
    """True when the use is one the regulations allow without a right to limit."""
    return any(data_use == p or data_use.startswith(p + ".") for p in PERMITTED_SENSITIVE_USES)
