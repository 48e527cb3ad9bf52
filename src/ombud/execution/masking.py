"""Masking strategies for erasure: null, fixed string, keyed HMAC, hash, random string, delete.

Strategy names of Fides are accepted as they are (``null_rewrite``, ``string_rewrite``, ``hmac``,
``random_string_rewrite``, ``hash``) next to Ombud's short names. Every strategy is a pure
function of (key, request, row, field, old value). Masking a value that is already masked masks
it again (a 64-character hex identifier is data like any other); a resumed run never does,
because it re-applies the new values recorded in the step journal before anything was written
and skips the collections the journal marks done."""

from __future__ import annotations

import hashlib
import hmac
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ombud.datamap.schemas import DataMap
from ombud.datamap.schemas_fides import MaskingStrategy
from ombud.errors import InvalidInput
from ombud.execution.policy import (
    DEFAULT_ERASURE_POLICY,
    Targets,
    policy_rules,
    rule_targets,
)
from ombud.execution.policy import matches as matches

ALIASES = {
    "null_rewrite": "null",
    "null": "null",
    "string_rewrite": "fixed",
    "fixed": "fixed",
    "fixed_string": "fixed",
    "hmac": "hmac",
    "random_string_rewrite": "random",
    "random": "random",
    "random_string": "random",
    "hash": "hash",
    "delete": "delete",
    "delete_row": "delete",
}
# Strategies that write text; on a column of another type they fall back to null.
TEXT_ONLY = frozenset({"fixed", "hmac", "random", "hash"})
TEXT_TYPES = frozenset({"string", "str", "text", "varchar", "char", "object_id"})
_ALPHABET = string.ascii_letters + string.digits
# Byte b -> _ALPHABET[b % 62], for bytes.translate.
_TO_ALPHABET = bytes(ord(_ALPHABET[b % len(_ALPHABET)]) for b in range(256))
# Strategies whose new value is the same for every row: applied as one SQL assignment.
SHARED = frozenset({"null", "fixed"})
# Strategies computed from the old value (the others need only the row's key).
FROM_VALUE = frozenset({"hmac", "hash"})


@dataclass(frozen=True)
class Strategy:
    """A normalised strategy: ``name`` is one of null, fixed, hmac, random, hash, delete."""

    name: str
    configuration: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    source: str = "default"

    @classmethod
    def from_fides(cls, spec: MaskingStrategy | dict[str, Any], source: str) -> Strategy:
        """Read a Fides ``{strategy, configuration}``; unknown names are an error."""
        if isinstance(spec, MaskingStrategy):
            raw, conf = spec.strategy, dict(spec.configuration)
        else:
            raw, conf = str(spec.get("strategy", "")), dict(spec.get("configuration") or {})
        name = ALIASES.get(raw)
        if name is None:
            raise InvalidInput(
                f"{source}: unknown masking strategy '{raw}' (known: {', '.join(sorted(ALIASES))})"
            )
        return cls(name, conf, source)

    def describe(self) -> str:
        """Short text for plans and results."""
        if self.name == "fixed":
            return f"fixed '{self.configuration.get('rewrite_value', 'MASKED')}'"
        return self.name


NULL = Strategy("null")


def effective(strategy: Strategy, data_type: str | None) -> Strategy:
    """A text strategy on a non-text column becomes null (the database would refuse text)."""
    if strategy.name in TEXT_ONLY and data_type and data_type.lower() not in TEXT_TYPES:
        return Strategy("null", {}, f"{strategy.source} (null: column is {data_type})")
    return strategy


def mask(strategy: Strategy, value: Any, *, key: bytes, seed: str) -> Any:
    """The new value of one field; ``seed`` names the row and field (for random strings)."""
    if value is None or strategy.name == "null":
        return None
    new = _mask(strategy, value, key=key, seed=seed)
    suffix = (strategy.configuration.get("format_preservation") or {}).get("suffix")
    if suffix and isinstance(new, str) and not new.endswith(suffix):
        new += str(suffix)  # Fides format_preservation: keep e.g. an email-shaped value
    return new


# (old value, key, seed) -> new value
Masker = Callable[[Any, bytes, str], Any]


def masker(strategy: Strategy) -> Masker:
    """``mask`` for one strategy, its configuration read once (masking runs per row)."""
    if strategy.name != "random":
        return lambda value, key, seed: mask(strategy, value, key=key, seed=seed)
    length = int(strategy.configuration.get("length", 16))
    suffix = str((strategy.configuration.get("format_preservation") or {}).get("suffix") or "")

    def random_value(value: Any, key: bytes, seed: str) -> Any:
        if value is None:
            return None
        new = _random(key, seed, length)
        return new + suffix if suffix and not new.endswith(suffix) else new

    return random_value


def _mask(strategy: Strategy, value: Any, *, key: bytes, seed: str) -> Any:
    conf = strategy.configuration
    if strategy.name == "fixed":
        return str(conf.get("rewrite_value", "MASKED"))
    if strategy.name == "random":
        return _random(key, seed, int(conf.get("length", 16)))
    text = value if isinstance(value, str) else str(value)
    suffix = str((conf.get("format_preservation") or {}).get("suffix") or "")
    if suffix and text.endswith(suffix):
        text = text[: -len(suffix)]
    if strategy.name == "hmac":
        algorithm = str(conf.get("algorithm", "SHA-256")).replace("-", "").lower()
        return hmac.digest(key, text.encode(), algorithm).hex()
    if strategy.name == "hash":
        algorithm = str(conf.get("algorithm", "SHA-256")).replace("-", "").lower()
        salt = str(conf.get("salt", ""))
        return hashlib.new(algorithm, (text + salt).encode()).hexdigest()
    raise InvalidInput(f"strategy '{strategy.name}' does not rewrite values")


def _random(key: bytes, seed: str, length: int) -> str:
    """``length`` letters and digits drawn from HMAC-SHA256 of the seed: the same every time."""
    if length <= 32:  # one digest: most strings
        return (
            hmac.digest(key, f"{seed}:0".encode(), "sha256")[:length]
            .translate(_TO_ALPHABET)
            .decode()
        )
    stream = b""
    counter = 0
    while len(stream) < length:
        stream += hmac.digest(key, f"{seed}:{counter}".encode(), "sha256")
        counter += 1
    return stream[:length].translate(_TO_ALPHABET).decode()


def shared_value(strategy: Strategy) -> Any:
    """The value a ``SHARED`` strategy writes on every row that has a value."""
    if strategy.name == "null":
        return None
    return mask(strategy, "", key=b"", seed="")


# ------------------------------------------------------------------ category rules
@dataclass(frozen=True)
class CategoryRule:
    """An erasure rule of a Fides policy: categories it targets and how they are masked."""

    targets: Targets
    strategy: Strategy

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories it targets (before exclusions)."""
        return self.targets.include


def erasure_rules(datamap: DataMap) -> list[CategoryRule] | None:
    """Erasure rules of the data map's policies (``None`` when it has none: mask everything)."""
    rules: list[CategoryRule] = []
    for rule in policy_rules(datamap, "erasure", DEFAULT_ERASURE_POLICY):
        where = f"policy {rule['_policy']} rule {rule.get('fides_key', rule.get('key', '?'))}"
        spec = rule.get("masking_strategy") or {"strategy": "null_rewrite"}
        rules.append(CategoryRule(rule_targets(rule), Strategy.from_fides(spec, where)))
    return rules or None


def strategy_for_categories(
    categories: list[str], rules: list[CategoryRule] | None
) -> Strategy | None:
    """The most specific rule matching one of ``categories``; None when no rule targets them."""
    if rules is None:
        return Strategy("null", {}, "default: no erasure policy in the data map")
    best: tuple[int, Strategy] | None = None
    for rule in rules:
        depth = max((rule.targets.depth(c) for c in categories), default=0)
        if depth and (best is None or depth > best[0]):
            best = (depth, rule.strategy)
    return best[1] if best else None
