"""Retention rules of the data map turned into steps: one collection of one rule each, with the
timestamp its period counts from, the legal holds that keep rows, the rows that still refer to
it, and what happens to an expired row. Built from the data map alone (no database)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ombud.datamap.graph import iter_fields
from ombud.datamap.periods import Period, parse_period
from ombud.datamap.schemas import DataMap, RetentionRule
from ombud.datamap.schemas_fides import Collection, Dataset
from ombud.datamap.taxonomy import is_personal_category
from ombud.execution.holds import Hold, hold_for
from ombud.execution.masking import (
    NULL,
    SHARED,
    Strategy,
    effective,
    erasure_rules,
    matches,
    shared_value,
    strategy_for_categories,
)
from ombud.execution.planner import _connection, _table


@dataclass(frozen=True)
class Via:
    """The period counts from a timestamp of another collection: ``t.column = p.key``."""

    collection: str
    table: str
    key: str
    column: str


@dataclass(frozen=True)
class Referrer:
    """Rows of another collection that point at this one (``table.column = key``)."""

    collection: str
    table: str
    column: str


@dataclass(frozen=True)
class Mask:
    """One field an anonymising step rewrites, and the value every expired row gets."""

    field: str
    strategy: Strategy
    value: object

    def describe(self) -> str:
        """'email: null'."""
        return f"{self.field}: {self.strategy.describe()}"


@dataclass
class Step:
    """One collection of one rule."""

    rule: str
    rule_name: str
    action: str  # delete, anonymise or report
    collection: str  # dataset.collection
    table: str
    connection: str
    key: str | None
    period: Period | None
    timestamp: str | None  # column of this collection, or of ``via``
    via: Via | None = None
    holds: list[Hold] = field(default_factory=list)  # timed holds, per row
    parent_holds: set[str] = field(default_factory=set)  # holds timed by the ``via`` row
    held_by: Hold | None = None  # a hold on every row: nothing is touched
    referrers: list[Referrer] = field(default_factory=list)
    masks: list[Mask] = field(default_factory=list)
    problem: str | None = None  # why the step cannot run (it is reported, never applied)
    # The restriction hold (GDPR Art. 18): rows whose flag column (``restriction_flag`` in
    # the data map) holds this value are kept while restricted. (column, value, on the parent)
    restriction: tuple[str, Any, bool] | None = None

    @property
    def runnable(self) -> bool:
        """True if the step can change rows."""
        return self.problem is None and self.action != "report" and self.held_by is None

    def counts_from(self) -> str:
        """'closed_at', or 'accounts.closed_at' when it comes through a reference."""
        if self.via is not None:
            return f"{self.via.collection.split('.', 1)[1]}.{self.via.column}"
        return self.timestamp or "—"


def _collections(datamap: DataMap) -> dict[str, tuple[Dataset, Collection]]:
    return {f"{d.fides_key}.{c.name}": (d, c) for d in datamap.dataset for c in d.collections}


def _fields(collection: Collection) -> dict[str, list[str]]:
    inherited = list(collection.data_categories or [])
    return {
        name: list(f.data_categories or inherited) for name, f in iter_fields(collection.fields)
    }


def _primary_key(collection: Collection) -> str | None:
    return next(
        (f.name for f in collection.fields if f.fides_meta and f.fides_meta.primary_key), None
    )


def _references(datamap: DataMap) -> list[tuple[str, str, str, str]]:
    """Every reference as (collection, its field, referenced collection, referenced field)."""
    out = []
    for ds in datamap.dataset:
        for coll in ds.collections:
            for name, f in iter_fields(coll.fields):
                for ref in (f.fides_meta.references if f.fides_meta else None) or []:
                    target, _, target_field = ref.field.partition(".")
                    out.append(
                        (
                            f"{ds.fides_key}.{coll.name}",
                            name,
                            f"{ref.dataset}.{target}",
                            target_field,
                        )
                    )
    return out


def _timestamp(
    name: str, wanted: str, rule_collections: list[str], datamap: DataMap
) -> tuple[str | None, Via | None, str | None]:
    """(own column, via another collection, problem) for the rule's ``timestamp_field``."""
    collections = _collections(datamap)
    collection = collections[name][1]
    if not wanted:
        return None, None, "the rule names no timestamp_field, so no row's period can end"
    target_name, _, column = wanted.rpartition(".")
    if not target_name and wanted in _fields(collection):
        return wanted, None, None
    column = column or wanted
    candidates = []
    for src, src_field, dst, dst_field in _references(datamap):
        if src != name or dst not in collections:
            continue
        if target_name and dst.split(".", 1)[1] != target_name and dst != target_name:
            continue
        if column in _fields(collections[dst][1]):
            candidates.append((dst in rule_collections, dst, src_field, dst_field))
    if not candidates:
        return (
            None,
            None,
            f"'{wanted}' is not a field of {name} nor of a collection it refers to",
        )
    _, dst, src_field, dst_field = sorted(candidates, reverse=True)[0]
    ds, coll = collections[dst]
    via = Via(dst, _table(ds, coll), dst_field, column)
    return src_field, via, None


def _masks(collection: Collection, rule: RetentionRule, datamap: DataMap) -> list[Mask]:
    """Fields an anonymising rule rewrites: those of the categories the rule names (it asks for
    them by name, so read_only does not spare them), else every personal field that is not
    read_only. Field override > policy rule > null, as for erasure."""
    rules = erasure_rules(datamap)
    masks = []
    for f in collection.fields:
        meta = f.fides_meta
        categories = list(f.data_categories or collection.data_categories or [])
        if (meta and meta.primary_key) or not categories:
            continue
        if rule.data_categories:
            wanted = any(matches(c, t) for c in categories for t in rule.data_categories)
        else:
            wanted = not (meta and meta.read_only) and any(
                is_personal_category(c) for c in categories
            )
        if not wanted:
            continue
        where = f"{collection.name}.{f.name} masking_strategy_override"
        override = f.masking_strategy_override or (meta.masking_strategy_override if meta else None)
        if override is not None:
            strategy: Strategy | None = Strategy.from_fides(override, where)
        else:
            strategy = strategy_for_categories(categories, rules) or NULL
        if strategy is None or strategy.name == "delete":
            continue
        strategy = effective(strategy, meta.data_type if meta else None)
        if strategy.name not in SHARED:
            # A later run cannot tell a hashed value from a real one: it would hash it again.
            strategy = Strategy("null", {}, f"{strategy.source} ({strategy.name} -> null)")
        masks.append(Mask(f.name, strategy, shared_value(strategy)))
    return masks


def _targets(rule: RetentionRule, datamap: DataMap) -> list[str]:
    """The collections a rule applies to: the named ones, else those holding its categories."""
    collections = _collections(datamap)
    if rule.collections:
        names = []
        for target in rule.collections:
            if target in collections:
                names.append(target)
            else:
                names += [n for n in collections if n.split(".", 1)[1] == target]
        return names
    return [
        name
        for name, (_, coll) in collections.items()
        if any(
            matches(c, t)
            for cats in _fields(coll).values()
            for c in cats
            for t in rule.data_categories
        )
    ]


def build_steps(datamap: DataMap, *, rule_key: str | None = None) -> list[Step]:
    """Steps of every rule (or one), children before the collections they refer to."""
    rules = [r for r in datamap.retention if rule_key is None or r.fides_key == rule_key]
    holds = [r for r in datamap.retention if r.legal_hold]
    collections = _collections(datamap)
    references = _references(datamap)
    steps: list[Step] = []
    for rule in rules:
        targets = _targets(rule, datamap)
        for name in targets:
            dataset, collection = collections[name]
            steps.append(
                _step(rule, name, targets, dataset, collection, holds, references, datamap)
            )
    return _children_first(steps, references)


def _step(
    rule: RetentionRule,
    name: str,
    targets: list[str],
    dataset: Dataset,
    collection: Collection,
    holds: list[RetentionRule],
    references: list[tuple[str, str, str, str]],
    datamap: DataMap,
) -> Step:
    action = rule.action.value if rule.action.value in ("delete", "anonymise") else "report"
    if action == "delete" and rule.data_categories and not rule.collections:
        action = "anonymise"  # only the named categories go, not whole rows
    timestamp, via, problem = _timestamp(name, rule.timestamp_field, targets, datamap)
    period = parse_period(rule.period or "")
    if period is None:
        problem = problem or f"period '{rule.period}' is not a duration"
    key = _primary_key(collection)
    if key is None and action != "report":
        problem = problem or "no field is marked primary_key, so rows cannot be changed one by one"
    step = Step(
        rule=rule.fides_key,
        rule_name=rule.name or rule.fides_key,
        action=action,
        collection=name,
        table=_table(dataset, collection),
        connection=_connection(dataset, datamap, {}),
        key=key,
        period=period,
        timestamp=timestamp,
        via=via,
        problem=problem,
    )
    fields = _fields(collection)
    others = [h for h in holds if h.fides_key != rule.fides_key]
    for categories in fields.values():
        hold = hold_for(others, dataset.fides_key, collection.name, categories)
        if hold is None:
            continue
        on_parent = step.via is not None and hold.timestamp_field == step.via.column
        if hold.timed and (hold.timestamp_field in fields or on_parent):
            if hold not in step.holds:
                step.holds.append(hold)
            if hold.timestamp_field not in fields:
                step.parent_holds.add(hold.rule)  # counted from the same parent row
        else:
            step.held_by = step.held_by or hold.untimed()
    step.restriction = _restriction(collection, via, datamap)
    if key is not None:
        step.referrers = [
            Referrer(src, _table(*_collections(datamap)[src]), src_field)
            for src, src_field, dst, dst_field in references
            if dst == name and dst_field == key and src != name
        ]
    if action == "anonymise":
        step.masks = _masks(collection, rule, datamap)
        if not step.masks:
            step.problem = step.problem or "no personal field to anonymise"
    return step


def _restriction(
    collection: Collection, via: Via | None, datamap: DataMap
) -> tuple[str, Any, bool] | None:
    """The restriction flag that holds this collection's rows: its own, else its parent's."""
    own = [(collection, False)]
    if via is not None:
        parent = _collections(datamap).get(via.collection)
        if parent is not None:
            own.append((parent[1], True))
    for coll, on_parent in own:
        for f in coll.fields:
            if f.restriction_flag:
                integer = f.fides_meta is not None and f.fides_meta.data_type == "integer"
                return f.name, 1 if integer else True, on_parent
    return None


def _children_first(steps: list[Step], references: list[tuple[str, str, str, str]]) -> list[Step]:
    """Order steps so a collection comes before the collections it refers to (stable)."""
    parents = {(src, dst) for src, _, dst, _ in references if src != dst}
    ordered: list[Step] = []
    pending = list(steps)
    while pending:
        for step in pending:
            blocked = any(
                (other.collection, step.collection) in parents
                for other in pending
                if other is not step
            )
            if not blocked:
                break
        else:
            step = pending[0]  # a cycle of references: keep the data map's order
        ordered.append(step)
        pending.remove(step)
    return ordered
