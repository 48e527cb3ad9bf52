"""Legal periods: calendar months (clamped at month end), calendar days and business days."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, model_validator


class Period(BaseModel):
    """A legal period counted from a start date; exactly one unit is used."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    months: int = 0
    days: int = 0
    business_days: int = 0

    @model_validator(mode="after")
    def _one_unit(self) -> Period:
        units = [u for u in (self.months, self.days, self.business_days) if u]
        if len(units) != 1 or units[0] < 0:
            raise ValueError("give exactly one positive unit: months, days or business_days")
        return self

    def describe(self) -> str:
        """Say the period in words, e.g. 'one month' or '45 calendar days'."""
        if self.months:
            return "one month" if self.months == 1 else f"{self.months} months"
        if self.days:
            return f"{self.days} calendar days"
        return f"{self.business_days} business days"


def add_months(start: date, months: int) -> date:
    """Same day ``months`` later; when that month is shorter, its last day (31 Jan -> 28 Feb)."""
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def add_business_days(start: date, days: int) -> date:
    """The ``days``-th Monday-to-Friday after ``start`` (public holidays are not modelled)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def add_period(start: date, period: Period) -> date:
    """The last day of ``period`` counted from ``start`` (the day of receipt)."""
    if period.months:
        return add_months(start, period.months)
    if period.days:
        return start + timedelta(days=period.days)
    return add_business_days(start, period.business_days)


def extended_deadline(start: date, deadline: Period, extension: Period) -> date:
    """The deadline after one extension, counted from receipt so month ends stay right."""
    if deadline.months and extension.months:
        return add_months(start, deadline.months + extension.months)
    if deadline.days and extension.days:
        return start + timedelta(days=deadline.days + extension.days)
    if deadline.business_days and extension.business_days:
        return add_business_days(start, deadline.business_days + extension.business_days)
    return add_period(add_period(start, deadline), extension)
