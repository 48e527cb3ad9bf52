"""Where personal data may go from the EU without further safeguards.

Kept as data: update when the European Commission adopts or withdraws an adequacy decision.
Sources (checked 2025-06): EEA membership, https://www.efta.int/eea/eea-agreement (EU 27 plus
Iceland, Liechtenstein, Norway); adequacy decisions under GDPR Art. 45,
https://commission.europa.eu/law/law-topic/data-protection/international-dimension-data-protection/adequacy-decisions_en
"""

from __future__ import annotations

# ISO 3166-1 alpha-2; "EL" is the EU's own code for Greece and is accepted too.
EEA_COUNTRIES: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HU",
        "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        "IS", "LI", "NO",
    }
)  # fmt: skip

# Countries with an EU adequacy decision. Canada covers commercial organisations (PIPEDA);
# the United States covers only organisations certified under the EU-US Data Privacy Framework
# (name the certification in `safeguard_detail`).
ADEQUACY_COUNTRIES: dict[str, str] = {
    "AD": "Andorra",
    "AR": "Argentina",
    "CA": "Canada (commercial organisations)",
    "CH": "Switzerland",
    "FO": "Faroe Islands",
    "GB": "United Kingdom",
    "GG": "Guernsey",
    "IL": "Israel",
    "IM": "Isle of Man",
    "JE": "Jersey",
    "JP": "Japan",
    "KR": "Republic of Korea",
    "NZ": "New Zealand",
    "US": "United States (EU-US Data Privacy Framework participants)",
    "UY": "Uruguay",
}


def is_third_country(country: str) -> bool:
    """True when ``country`` is outside the EU/EEA (a transfer needs a safeguard)."""
    return country.upper() not in EEA_COUNTRIES


def has_adequacy(country: str) -> bool:
    """True when the EU found ``country`` adequate (GDPR Art. 45)."""
    return country.upper() in ADEQUACY_COUNTRIES


# Transfers are judged under each law the controller answers to: the EU's (eu), the UK's (uk)
# and Switzerland's (ch). Each has its own home area and its own list of adequate countries
# (UK: adequacy regulations under the DPA 2018 s. 17A; Switzerland: Annex 1 of the Data
# Protection Ordinance). The United States count only for certified companies (the EU-US Data
# Privacy Framework, its UK Extension and the Swiss-US framework): see ``certifications``.
REGION_HOME: dict[str, frozenset[str]] = {
    "eu": EEA_COUNTRIES,
    "uk": frozenset({"GB"}),
    "ch": frozenset({"CH"}),
}
_COMMON = frozenset({"AD", "AR", "CA", "FO", "GG", "IL", "IM", "JE", "NZ", "UY"})
REGION_ADEQUATE: dict[str, frozenset[str]] = {
    "eu": frozenset(ADEQUACY_COUNTRIES) - {"US"},
    "uk": EEA_COUNTRIES | _COMMON | {"CH", "GI", "JP", "KR"},
    "ch": EEA_COUNTRIES | _COMMON | {"GB", "GI", "MC"},
}


def leaves_region(region: str, country: str) -> bool:
    """True when data sent to ``country`` leaves ``region`` (eu, uk or ch)."""
    return country.upper() not in REGION_HOME[region]


def adequate_for(region: str, country: str) -> bool:
    """True when ``region``'s law finds ``country`` adequate (without certification)."""
    return country.upper() in REGION_ADEQUATE[region]
