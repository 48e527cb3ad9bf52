"""Plain words for keys the data map uses: taxonomy labels, legal bases, periods, countries."""

from __future__ import annotations

import re

from ombud.datamap import taxonomy, transfers
from ombud.datamap.schemas import DataMap, LegalBasis, Safeguard
from ombud.dsr import jurisdictions as dsr_rules

Kind = taxonomy.Kind


def label(kind: Kind, key: str, datamap: DataMap | None = None) -> str:
    """Plain words for a taxonomy key (data map override, Ombud's wording, fideslang's)."""
    return taxonomy.label(kind, key, datamap)


def is_personal_category(key: str) -> bool:
    """False for ``system.*`` categories, which describe the system rather than a person."""
    return taxonomy.is_personal_category(key)


LEGAL_BASIS = {
    LegalBasis.consent: "your consent (you can withdraw it at any time)",
    LegalBasis.contract: "to perform our contract with you",
    LegalBasis.legal_obligation: "to comply with a legal obligation",
    LegalBasis.vital_interests: "to protect someone's vital interests",
    LegalBasis.public_task: "to perform a task in the public interest",
    LegalBasis.legitimate_interests: "our legitimate interests",
}

SAFEGUARD = {
    Safeguard.adequacy: "an adequacy decision of the European Commission (GDPR Art. 45)",
    Safeguard.standard_contractual_clauses: "standard contractual clauses (GDPR Art. 46(2)(c))",
    Safeguard.binding_corporate_rules: "binding corporate rules (GDPR Art. 46(2)(b) and 47)",
    Safeguard.derogation: "a derogation for specific situations (GDPR Art. 49)",
}

ROLE_TITLE = {
    "processor": "Service providers who process data on our behalf (processors)",
    "partner": "Partners who receive data for their own purposes",
    "affiliate": "Companies of our group",
    "authority": "Public authorities, when the law requires it",
}

SOURCE_TITLE = {
    "provided": "Data you provide to us",
    "automatic": "Data we collect automatically",
    "third_party": "Data we obtain from third parties",
}

COOKIE_CATEGORY = {
    "strictly_necessary": "Strictly necessary",
    "functional": "Functional",
    "analytics": "Analytics",
    "advertising": "Advertising",
}

COUNTRY = {
    "AT": "Austria", "AU": "Australia", "BE": "Belgium", "BG": "Bulgaria", "BR": "Brazil",
    "CA": "Canada", "CH": "Switzerland", "CY": "Cyprus", "CZ": "Czechia", "DE": "Germany",
    "DK": "Denmark", "EE": "Estonia", "ES": "Spain", "FI": "Finland", "FR": "France",
    "GB": "the United Kingdom", "GR": "Greece", "HR": "Croatia", "HU": "Hungary",
    "IE": "Ireland", "IL": "Israel", "IN": "India", "IS": "Iceland", "IT": "Italy",
    "JP": "Japan", "KR": "South Korea", "LI": "Liechtenstein", "LT": "Lithuania",
    "LU": "Luxembourg", "LV": "Latvia", "MT": "Malta", "NL": "the Netherlands", "NO": "Norway",
    "NZ": "New Zealand", "PL": "Poland", "PT": "Portugal", "RO": "Romania", "SE": "Sweden",
    "SG": "Singapore", "SI": "Slovenia", "SK": "Slovakia", "US": "the United States",
    "UY": "Uruguay", "ZA": "South Africa",
}  # fmt: skip


def safeguard(value: Safeguard | None, detail: str = "") -> str:
    """The transfer safeguard in words, with the organization's detail after a semicolon."""
    said = SAFEGUARD[value] if value else "no safeguard recorded"
    return f"{said}; {detail.strip().rstrip('.')}" if detail.strip() else said


def with_reference(reason: str, reference: str) -> str:
    """'reason (reference)', without a stray full stop before the bracket."""
    reason = reason.strip().rstrip(".")
    if not reference:
        return reason
    return f"{reason} ({reference})" if reason else reference


def country(code: str) -> str:
    """The country's name in English (the code itself when unknown)."""
    return COUNTRY.get(code.upper(), code.upper())


def outside_eea(code: str) -> bool:
    """True when data sent to ``code`` leaves the EU/EEA."""
    return transfers.is_third_country(code)


_ISO = re.compile(
    r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?)?$"
)
_UNITS = ("years", "months", "weeks", "days", "hours", "minutes")


def period(value: str | None) -> str:
    """An ISO 8601 duration (``P1Y6M``) or free text (``30 days``) in words."""
    if not value:
        return "no fixed period: as long as needed for the purpose"
    match = _ISO.match(value.strip().upper())
    if not match:
        return value.strip()
    parts = []
    for unit in _UNITS:
        amount = match.group(unit)
        if amount and int(amount):
            n = int(amount)
            parts.append(f"{n} {unit[:-1] if n == 1 else unit}")
    if not parts:
        return value
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def join_words(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def jurisdiction_rules(datamap: DataMap) -> list[dict[str, str]]:
    """Name, answer deadline and extension of each jurisdiction in use, in words."""
    rules = dsr_rules.build(datamap.jurisdiction)
    out = []
    for key in datamap.organization.jurisdictions:
        rule = rules.get(key)
        if rule is None:
            out.append({"key": key, "name": key.upper(), "deadline": "", "extension": ""})
            continue
        extension = rule.extension.describe() if rule.extension else ""
        out.append(
            {
                "key": key,
                "name": rule.name,
                "deadline": rule.deadline.describe(),
                "extension": extension,
            }
        )
    return out
