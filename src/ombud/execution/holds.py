"""Legal holds and retention rules that win over erasure: held data is kept, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

from ombud.datamap.schemas import DataMap, RetentionRule
from ombud.execution.masking import matches


@dataclass(frozen=True)
class Hold:
    """Why a field is kept: the rule's key and its reason for the person's letter."""

    rule: str
    reason: str


def _reason(rule: RetentionRule) -> str:
    text = rule.reason or rule.name or f"retention rule {rule.fides_key}"
    if rule.legal_reference:
        text = f"{text} ({rule.legal_reference})"
    if rule.period:
        text = f"{text}; kept for {rule.period}"
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
        return Hold(rule.fides_key, _reason(rule))
    return None
