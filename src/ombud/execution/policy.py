"""Fides policies: which data categories a rule targets, and which fields an access request
exports.

A rule targets categories through Fides ``targets: [{data_category: ...}]`` or fideslang's
``data_categories: {matches: ANY, values: [...]}``. Targets are hierarchical (``user.contact``
covers ``user.contact.email``). Exclusions: ``exclude`` (a category or a list) on a target or on
the rule, and fideslang's ``matches: NONE`` / ``OTHER`` (every category except ``values``).
Without an access rule in the data map, Ombud uses Fides' default access policy."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ombud.datamap.schemas import DataMap

# Fides' default access policy targets the ``user`` categories except these, "covered by other
# compliance programs (legal, tax, security)" (fides ``load_default_dsr_policies``).
DEFAULT_ACCESS_EXCLUDED = ("user.financial", "user.payment", "user.authorization")
DEFAULT_ACCESS_POLICY = "default_access_policy"
DEFAULT_ERASURE_POLICY = "default_erasure_policy"
_EXCLUDING = frozenset({"NONE", "OTHER"})


def matches(category: str, target: str) -> bool:
    """``user.contact`` targets ``user.contact`` and ``user.contact.email``."""
    return category == target or category.startswith(target + ".")


@dataclass(frozen=True)
class Targets:
    """Categories a rule covers (``include``) minus those it leaves out (``exclude``).

    An empty ``include`` with exclusions covers every category but those."""

    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()

    def covers(self, category: str) -> bool:
        """True if ``category`` is targeted and not excluded."""
        if any(matches(category, e) for e in self.exclude):
            return False
        if not self.include:
            return bool(self.exclude)
        return any(matches(category, t) for t in self.include)

    def depth(self, category: str) -> int:
        """How specific the deepest target covering ``category`` is (0: not covered)."""
        if not self.covers(category):
            return 0
        return max((t.count(".") + 1 for t in self.include if matches(category, t)), default=1)


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable):
        return [str(v) for v in value]
    return []


def rule_targets(rule: dict[str, Any]) -> Targets:
    """The categories one Fides rule targets, with its exclusions."""
    include: list[str] = []
    exclude = _listed(rule.get("exclude"))
    for target in rule.get("targets") or []:
        if not isinstance(target, dict):
            continue
        exclude += _listed(target.get("exclude"))
        if "data_category" in target:
            include.append(str(target["data_category"]))
    cats = rule.get("data_categories")
    if isinstance(cats, dict):
        values = _listed(cats.get("values"))
        if str(cats.get("matches", "ANY")).upper() in _EXCLUDING:
            exclude += values
        else:
            include += values
    else:
        include += _listed(cats)
    return Targets(tuple(include), tuple(exclude))


def policy_rules(datamap: DataMap, action: str, preferred: str) -> list[dict[str, Any]]:
    """Rules of ``action`` from one policy: ``preferred`` if it has some, else the first policy
    that does (Ombud runs one policy per request type)."""
    policies = sorted(datamap.policy, key=lambda p: p.get("fides_key") != preferred)
    for policy in policies:
        rules = [
            r
            for r in policy.get("rules") or []
            if isinstance(r, dict) and r.get("action_type") == action
        ]
        if rules:
            return [{**r, "_policy": policy.get("fides_key")} for r in rules]
    return []


DEFAULT_ACCESS = (Targets(("user",), DEFAULT_ACCESS_EXCLUDED),)


def access_rules(datamap: DataMap) -> tuple[Targets, ...]:
    """What access requests export: the access rules of the data map's policy, else Fides'
    default access policy (``user`` minus financial, payment and authorization data)."""
    rules = policy_rules(datamap, "access", DEFAULT_ACCESS_POLICY)
    if not rules:
        return DEFAULT_ACCESS
    return tuple(rule_targets(r) for r in rules)


def exported(categories: Iterable[str], rules: Iterable[Targets]) -> bool:
    """True if an access rule covers one of ``categories``."""
    cats = list(categories)
    return any(r.covers(c) for r in rules for c in cats)
