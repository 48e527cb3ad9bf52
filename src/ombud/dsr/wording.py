"""Words for people: dates in their language (Babel), periods and retention rules in plain
words, and the supervisory authority of a request's jurisdiction."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.units import format_unit

from ombud.datamap.periods import Period, parse_period
from ombud.datamap.schemas import Authority, DataMap, RetentionRule

if TYPE_CHECKING:
    from ombud.dsr.jurisdictions import Jurisdiction

# Languages letters are written in; others fall back to the first.
LANGUAGES = ("en", "de")
# Babel locales for dates: British English writes "7 December 2026", as letters should.
_LOCALES = {"en": "en_GB", "de": "de_DE"}
_UNITS = (
    ("years", "duration-year"),
    ("months", "duration-month"),
    ("weeks", "duration-week"),
    ("days", "duration-day"),
    ("hours", "duration-hour"),
    ("minutes", "duration-minute"),
    ("seconds", "duration-second"),
)
_AND = {"en": " and ", "de": " und "}


def check_language(value: str) -> str:
    """A language tag Babel knows (``de``, ``en-GB``), lower-cased; else ``ValueError``."""
    tag = value.strip().replace("-", "_")
    try:
        Locale.parse(tag)
    except (UnknownLocaleError, ValueError):
        raise ValueError(
            f"unknown language {value!r}; use a language code such as {' or '.join(LANGUAGES)}"
        ) from None
    return tag.split("_")[0].lower()


def language_of(requested: str | None, default: str | None = None) -> str:
    """The letter language: the request's, else the data map's default, else English."""
    for candidate in (requested, default):
        if candidate:
            code = candidate.replace("-", "_").split("_")[0].lower()
            if code in LANGUAGES:
                return code
    return LANGUAGES[0]


def from_accept_language(header: str) -> str | None:
    """The first of ``LANGUAGES`` an ``Accept-Language`` header asks for (by weight)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        code = tag.strip().split("-")[0].lower()
        if code in LANGUAGES and weight > 0:
            ranked.append((-weight, i, code))
    return min(ranked)[2] if ranked else None


def _locale(language: str) -> str:
    return _LOCALES.get(language, language)


def human_date(value: date | str | None, language: str = "en") -> str:
    """``7 December 2026`` (``7. Dezember 2026``); '' for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    day = value.date() if isinstance(value, datetime) else value
    return _long_date(day, language)


@lru_cache(maxsize=1024)
def _long_date(day: date, language: str) -> str:
    # Cached: every letter and package names the same few days, and Babel takes a while.
    return format_date(day, "long", locale=_locale(language))


@lru_cache(maxsize=2048)
def _clock(hour: int, minute: int, language: str) -> str:
    return format_time(time(hour, minute), "HH:mm", locale=_locale(language))


def human_datetime(value: datetime | str | None, language: str = "en") -> str:
    """``7 December 2026, 05:21 UTC``: long date and 24-hour time, always in UTC."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{human_date(value, language)}, {_clock(value.hour, value.minute, language)} UTC"


def when(value: date | datetime | str | None, language: str = "en") -> str:
    """A date, or a date and time when ``value`` carries one."""
    if isinstance(value, datetime) or (isinstance(value, str) and len(value) > 10):
        return human_datetime(value, language)
    return human_date(value, language)


def period_words(period: Period, language: str = "en") -> str:
    """``10 years``, ``1 year and 6 months`` (``10 Jahre``)."""
    parts = [
        format_unit(getattr(period, name), unit, length="long", locale=_locale(language))
        for name, unit in _UNITS
        if getattr(period, name)
    ]
    if not parts:
        return format_unit(0, "duration-day", length="long", locale=_locale(language))
    joiner = _AND.get(language, _AND["en"])
    return ", ".join(parts[:-1]) + joiner + parts[-1] if len(parts) > 1 else parts[0]


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def counted_from(rule: RetentionRule) -> str:
    """The event a rule's period counts from: its ``counted_from``, else derived from the
    timestamp field and the collection ("closed_at" of accounts: the account is closed)."""
    if rule.counted_from:
        return rule.counted_from
    if not rule.timestamp_field:
        return ""
    thing = "record"
    if rule.collections:
        thing = _singular(rule.collections[0].split(".")[-1].replace("_", " "))
    field = rule.timestamp_field.rpartition(".")[2]  # "support_tickets.closed_at" names its own
    stem = re.sub(r"_?(at|on|date|time)$", "", field).replace("_", " ")
    if stem.endswith("ed"):
        return f"the {thing} is {stem}"
    return f"the {stem} of the {thing}" if stem else f"the time of the {thing}"


_ACTIONS = {"delete": "deleted", "anonymise": "anonymised", "anonymize": "anonymised"}


def retention_words(rule: RetentionRule) -> str:
    """``Deleted 30 days after the account is closed.``; the period as written when it is not
    a duration; '' when the rule names no period."""
    text = rule.period or ""
    period = parse_period(text)
    if period is None:
        return text
    event = counted_from(rule)
    if rule.action.value == "report":  # kept, never deleted by Ombud: say how long at least
        after = f" after {event}" if event else ""
        return f"Kept for at least {period_words(period)}{after}."
    done = _ACTIONS.get(str(rule.action.value), str(rule.action.value)).capitalize()
    if event:
        return f"{done} {period_words(period)} after {event}."
    return f"{done} after {period_words(period)}."


@dataclass(frozen=True)
class AuthorityText:
    """The supervisory authority a letter names."""

    name: str
    contact: str


def authority_for(datamap: DataMap | None, jurisdiction: Jurisdiction | None) -> Authority | None:
    """The authority of a jurisdiction: its own (shipped or from the data map's
    ``jurisdiction`` entry), else the organization's ``supervisory_authority``."""
    if jurisdiction is not None and jurisdiction.authority is not None:
        return jurisdiction.authority
    if datamap is not None:
        return datamap.organization.supervisory_authority
    return None


def authority_text(authority: Authority | None) -> AuthorityText:
    """Name and one contact (web address, else email) of an authority."""
    if authority is None:
        return AuthorityText("", "")
    return AuthorityText(authority.name, authority.url or authority.email)
