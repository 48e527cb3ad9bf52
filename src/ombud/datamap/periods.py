"""Retention periods: ISO 8601 durations (``P30D``, ``P1Y6M``) or plain ``30 days``/``10 years``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

_ISO = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
_PLAIN = re.compile(
    r"^(?P<n>\d+)\s*(?P<unit>years?|months?|weeks?|days?|hours?|minutes?|seconds?)$", re.I
)


@dataclass(frozen=True)
class Period:
    """A calendar-aware duration."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    def add_to(self, start: datetime) -> datetime:
        """``start`` plus this period (months and years by the calendar, clamped to month end)."""
        month_index = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        moved = start.replace(year=year, month=month, day=day)
        return moved + timedelta(
            weeks=self.weeks,
            days=self.days,
            hours=self.hours,
            minutes=self.minutes,
            seconds=self.seconds,
        )

    def approximate_days(self) -> float:
        """The length in days, months and years by their average length (for comparing)."""
        return (
            self.years * 365.2425
            + self.months * 30.436875
            + self.weeks * 7
            + self.days
            + (self.hours * 3600 + self.minutes * 60 + self.seconds) / 86400
        )

    def subtract_from(self, end: datetime) -> datetime:
        """``end`` minus this period (the oldest moment still inside the period)."""
        negative = Period(*(-v for v in self._values()))
        return negative.add_to(end)

    def _values(self) -> tuple[int, ...]:
        return (
            self.years,
            self.months,
            self.weeks,
            self.days,
            self.hours,
            self.minutes,
            self.seconds,
        )

    def __str__(self) -> str:
        names = ("year", "month", "week", "day", "hour", "minute", "second")
        parts = [
            f"{v} {n}{'s' if v != 1 else ''}"
            for v, n in zip(self._values(), names, strict=True)
            if v
        ]
        return ", ".join(parts) or "0 days"


@lru_cache(maxsize=1024)
def parse_period(text: str) -> Period | None:
    """Parse ``P10Y`` or ``10 years``; None if the text is neither."""
    # Cached (a Period is frozen): a letter asks again for every field a rule keeps.
    text = text.strip()
    iso = _ISO.match(text.upper())
    if iso:
        return Period(**{k: int(v) for k, v in iso.groupdict().items() if v})
    plain = _PLAIN.match(text)
    if plain:
        unit = plain["unit"].lower().rstrip("s") + "s"
        return Period(**{unit: int(plain["n"])})
    return None
