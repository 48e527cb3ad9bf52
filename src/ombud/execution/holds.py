"""Legal holds and retention rules that win over erasure: held data is kept, with the reason."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from ombud.datamap.periods import Period, parse_period
from ombud.datamap.schemas import DataMap, RetentionRule
from ombud.execution.masking import matches


@dataclass(frozen=True)
class Hold:
    """Why a field is kept: the rule's key and its reason for the person's letter.

    With a ``period`` and a ``timestamp_field`` the hold is per row: a row is held while its
    timestamp plus the period lies in the future; without them every row is held."""

    rule: str
    reason: str
    period: Period | None = None
    timestamp_field: str | None = None

    @property
    def timed(self) -> bool:
        """True if the hold ends per row."""
        return self.period is not None and self.timestamp_field is not None

    def cutoff(self, now: datetime) -> datetime:
        """Rows whose timestamp is at or before this moment are past their period."""
        assert self.period is not None
        return self.period.subtract_from(now)

    def untimed(self) -> Hold:
        """The same hold on every row (its timestamp field is not in the collection)."""
        return replace(self, timestamp_field=None)


def _reason(rule: RetentionRule) -> str:
    text = rule.reason or rule.name or f"retention rule {rule.fides_key}"
    if rule.legal_reference:
        text = f"{text} ({rule.legal_reference})"
    period = parse_period(rule.period or "")
    length = str(period) if period else rule.period
    if length and rule.timestamp_field:
        text = f"{text}; kept for {length} from {rule.timestamp_field.replace('_', ' ')}"
    elif length:
        text = f"{text}; kept for {length}"
    return text


def holding_rules(datamap: DataMap) -> list[RetentionRule]:
    """Retention rules with ``legal_hold: true``."""
    return [r for r in datamap.retention if r.legal_hold]


def hold_for(
    rules: list[RetentionRule], dataset: str, collection: str, categories: list[str]
) -> Hold | None:
    """The first legal hold covering a field of ``dataset.collection`` with ``categories``.

    A rule naming collections holds those collections (all fields, or only its categories when
    it names some); a rule naming only categories holds them wherever they are."""
    name = f"{dataset}.{collection}"
    for rule in rules:
        in_collection = name in rule.collections or collection in rule.collections
        if rule.collections and not in_collection:
            continue
        if rule.data_categories and not any(
            matches(c, t) for c in categories for t in rule.data_categories
        ):
            continue
        if not rule.collections and not rule.data_categories:
            continue
        period = parse_period(rule.period or "")
        return Hold(rule.fides_key, _reason(rule), period, rule.timestamp_field or None)
    return None
