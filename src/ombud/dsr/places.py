"""Where the person lives, as the request form offers it: the countries (and states, where
the law differs by state, such as US-CA) of the jurisdictions the data map names, plus an
explicit "another country" that takes the general rules."""

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from ombud.dsr.jurisdictions import DEFAULT_KEY, Jurisdiction
from ombud.i18n import gettext as _

OTHER = "other"
# Names of the US states whose privacy laws a data map may name (ISO 3166-2:US).
US_STATES = {
    "CA": "California",
    "CO": "Colorado",
    "CT": "Connecticut",
    "DE": "Delaware",
    "FL": "Florida",
    "IA": "Iowa",
    "IN": "Indiana",
    "KY": "Kentucky",
    "MD": "Maryland",
    "MN": "Minnesota",
    "MT": "Montana",
    "NE": "Nebraska",
    "NH": "New Hampshire",
    "NJ": "New Jersey",
    "OR": "Oregon",
    "RI": "Rhode Island",
    "TN": "Tennessee",
    "TX": "Texas",
    "UT": "Utah",
    "VA": "Virginia",
}
# Codes some rules list that ISO 3166-1 does not (UK for GB).
ALIASES = {"UK": "GB"}


@dataclass(frozen=True)
class Place:
    """One choice of the form: a code the request carries and its name."""

    code: str
    label: str
    jurisdiction: str


def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale("en")


def label(code: str, language: str = "en") -> str:
    """'DE' -> 'Germany', 'US-CA' -> 'United States: California'."""
    territories = _locale(language).territories
    country, _, region = code.partition("-")
    name = str(territories.get(country, country))
    if not region:
        return name
    state = US_STATES.get(region, region) if country == "US" else region
    return f"{name}: {state}"


def places(rules: dict[str, Jurisdiction], applies: list[str], language: str = "en") -> list[Place]:
    """The places the form offers, by name; a state-level law adds "another state"."""
    keys = [k for k in applies if k in rules and k != DEFAULT_KEY] or [
        k for k in rules if k != DEFAULT_KEY
    ]
    found: dict[str, Place] = {}
    for key in keys:
        for raw in rules[key].countries:
            code = ALIASES.get(raw.upper(), raw.upper())
            if code not in found:
                found[code] = Place(code, label(code, language), key)
    for code in [c for c in found if "-" in c]:
        country = code.split("-", 1)[0]
        if country not in found:
            name = _("%(country)s: another state") % {"country": label(country, language)}
            found[country] = Place(country, name, DEFAULT_KEY)
    return sorted(found.values(), key=lambda p: p.label)


def choose(offered: list[Place], value: str) -> tuple[str | None, str | None] | None:
    """(country, region) of a form value, ``(None, None)`` for another country, or None when
    the value is not one the form offered."""
    code = value.strip().upper()
    if code == OTHER.upper():
        return None, None
    if code not in {p.code for p in offered}:
        return None
    country, _, region = code.partition("-")
    return country, region or None
