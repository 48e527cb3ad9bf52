"""The plan of a request: which collections the person's identities reach, through which
references, in which order, which fields are exported, masked, deleted or kept, and which
personal-data collections cannot be reached. Built on ``ombud.datamap.graph``."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from ombud.datamap.correctable import is_correctable, owned_references
from ombud.datamap.graph import DatasetGraph, Edge, build_graph
from ombud.datamap.schemas import DataMap
from ombud.datamap.schemas_fides import Collection, Dataset
from ombud.datamap.taxonomy import is_personal_category
from ombud.errors import InvalidInput
from ombud.execution.holds import Hold, hold_for, holding_rules
from ombud.execution.masking import (
    FROM_VALUE,
    SHARED,
    CategoryRule,
    Strategy,
    effective,
    erasure_rules,
    strategy_for_categories,
)
from ombud.execution.policy import Targets, access_rules, exported

ACCESS_TYPES = frozenset({"access", "portability"})
ERASURE_TYPES = frozenset({"erasure"})
RECTIFICATION_TYPES = frozenset({"rectification"})
EXECUTABLE_TYPES = ACCESS_TYPES | ERASURE_TYPES | RECTIFICATION_TYPES
# Identity names of a request mapped to Fides identity types.
IDENTITY_ALIASES = {"phone": "phone_number", "account_id": "account_id", "email": "email"}


@dataclass(frozen=True)
class FieldPlan:
    """One column: its categories, and what erasure does to it."""

    name: str
    categories: tuple[str, ...]
    primary_key: bool
    data_type: str | None
    strategy: Strategy | None
    hold: Hold | None
    # Whether an access request exports it: decided by the access rules of the policy.
    exported: bool = False
    # Data map markers for access packages: ``context`` fields are exported although not
    # personal (dates, invoice numbers); ``credential`` fields never are (see ``package``).
    context: bool = False
    credential: bool = False
    read_only: bool = False
    correctable: bool = False  # people may ask to correct it (ombud.datamap.correctable)

    @property
    def personal(self) -> bool:
        """True if one of its categories describes people."""
        return any(is_personal_category(c) for c in self.categories)

    @property
    def erased(self) -> bool:
        """True if erasure rewrites this field on every row (no legal hold on it)."""
        return self.erasable and self.hold is None

    @property
    def erasable(self) -> bool:
        """True if erasure rewrites this field where no legal hold keeps it."""
        return self.strategy is not None and not self.primary_key


@dataclass
class CollectionPlan:
    """One collection of the plan (not changed once built: derived values are cached)."""

    dataset: str
    collection: str
    table: str
    connection: str
    order: int
    identities: dict[str, str]
    incoming: list[Edge]
    fields: list[FieldPlan]
    primary_key: str | None
    delete_row: Strategy | None
    erase_after: list[str] = field(default_factory=list)
    outgoing: set[str] = field(default_factory=set)

    @cached_property
    def name(self) -> str:
        """``dataset.collection``."""
        return f"{self.dataset}.{self.collection}"

    @cached_property
    def query_fields(self) -> list[str]:
        """Fields compared with identities or with values found in other collections."""
        names = list(self.identities)
        names += [e.dst.field for e in self.incoming if e.dst.field not in names]
        return names

    @cached_property
    def columns(self) -> list[str]:
        """Columns to read: key, query fields, reference sources and personal fields."""
        wanted = [self.primary_key] if self.primary_key else []
        wanted += self.query_fields + sorted(self.outgoing)
        wanted += [f.name for f in self.fields if f.personal or f.erasable or f.context]
        return list(dict.fromkeys(w for w in wanted if w))

    @cached_property
    def erasure_columns(self) -> list[str]:
        """Columns erasure reads: key, query fields, reference sources and the fields whose
        masking is computed from the old value."""
        wanted = [self.key, *self.query_fields, *sorted(self.outgoing)]
        wanted += [
            f.name
            for f in self.fields
            if f.erasable and f.strategy is not None and f.strategy.name in FROM_VALUE
        ]
        return list(dict.fromkeys(wanted))

    @cached_property
    def reference_field(self) -> str | None:
        """The one query field erasure can match this collection's rows by, without reading
        them: no other collection is reached through it, nothing in it is held, and every value
        erasure writes is the same on each row (null, a fixed string, or deleting the row)."""
        if self.outgoing or len(self.query_fields) != 1:
            return None
        if any(f.hold is not None for f in self.fields):
            return None
        shared = all(
            f.strategy is not None and f.strategy.name in SHARED for f in self.fields if f.erased
        )
        if self.erasure_action() == "delete" or shared:
            return self.query_fields[0]
        return None

    @cached_property
    def timed_holds(self) -> list[Hold]:
        """Legal holds on fields of this collection that end per row."""
        holds = [f.hold for f in self.fields if f.hold is not None and f.hold.timed]
        return list(dict.fromkeys(holds))

    @cached_property
    def export_fields(self) -> list[FieldPlan]:
        """Fields that go into an access package: personal ones the access policy covers."""
        return [f for f in self.fields if f.personal and f.exported]

    @cached_property
    def key(self) -> str:
        """The column rows are changed by: the primary key, else the first query field."""
        return self.primary_key or self.query_fields[0]

    def erasure_action(self) -> str:
        """delete (whole rows), mask, keep (everything held) or none (nothing to erase)."""
        held = [f for f in self.fields if f.hold is not None]
        if self.delete_row is not None and not held:
            return "delete"
        if any(f.erased for f in self.fields):
            return "mask"
        return "keep" if held else "none"

    def reached_from(self) -> str:
        """Readable origin: identities and every reference the traversal follows into it."""
        parts = [f"identity {kind} ({name})" for name, kind in self.identities.items()]
        parts += [f"{e.src} -> {e.dst.field}" for e in self.incoming]
        return "; ".join(parts)


@dataclass
class Plan:
    """Reachable collections in breadth-first order (the traversal reads them in this order,
    round after round, until no new value appears), plus the unreachable personal ones."""

    steps: list[CollectionPlan]
    unreachable: list[tuple[str, str, str]]
    # References marked owned: (source, destination) as ``dataset.collection.field``.
    owned: frozenset[tuple[str, str]] = frozenset()

    def step(self, name: str) -> CollectionPlan:
        """The collection plan named ``dataset.collection``."""
        return next(s for s in self.steps if s.name == name)

    def erase_order(self) -> list[CollectionPlan]:
        """Reverse breadth-first order (rows referring to others first, so foreign keys stay
        valid), then ``erase_after`` constraints of the data map (a cycle among them cannot be
        met and leaves the order as far as it got)."""
        order = list(reversed(self.steps))
        position = {s.name: i for i, s in enumerate(order)}
        for _ in range(len(order)):
            moved = False
            for step in list(order):
                for before in step.erase_after:
                    if before in position and position[before] > position[step.name]:
                        order.remove(step)
                        order.insert(position[before], step)
                        position = {s.name: i for i, s in enumerate(order)}
                        moved = True
            if not moved:
                break
        return order

    def unreachable_dicts(self) -> list[dict[str, str]]:
        """Unreachable collections as ``{collection, reason}``."""
        return [{"collection": f"{d}.{c}", "reason": r} for d, c, r in self.unreachable]


def identity_values(identities: dict[str, Any]) -> dict[str, str]:
    """A request's identities keyed by Fides identity type (``phone`` -> ``phone_number``).

    Missing, empty and blank ones are left out: they would match every row with an empty phone
    or account id (the traversal refuses blank values too)."""
    return {
        IDENTITY_ALIASES.get(k, k): str(v)
        for k, v in identities.items()
        if v is not None and str(v).strip()
    }


def _table(dataset: Dataset, collection: Collection) -> str:
    namespace = (dataset.fides_meta.namespace if dataset.fides_meta else None) or {}
    schema = namespace.get("schema")
    return f"{schema}.{collection.name}" if schema else collection.name


def _connection(dataset: Dataset, datamap: DataMap, extra: dict[str, str]) -> str:
    if dataset.connection:
        return dataset.connection
    names = [c.name for c in datamap.connection] + list(extra)
    if dataset.fides_key in names:
        return dataset.fides_key
    if len(names) == 1:
        return names[0]
    raise InvalidInput(
        f"dataset '{dataset.fides_key}' names no connection (set 'connection:' on the dataset)"
    )


def _fields(
    dataset: Dataset,
    collection: Collection,
    rules: list[CategoryRule] | None,
    holds: list[Any],
    access: tuple[Targets, ...] | None = None,
    correctable_categories: list[str] | None = None,
) -> list[FieldPlan]:
    out: list[FieldPlan] = []
    inherited = collection.data_categories or dataset.data_categories or []
    names = {f.name for f in collection.fields}
    for f in collection.fields:
        meta = f.fides_meta
        categories = tuple(f.data_categories or inherited)
        data_type = meta.data_type if meta else None
        # Fides files put the override on the field or (commonly) inside its fides_meta.
        override = f.masking_strategy_override or (meta.masking_strategy_override if meta else None)
        if meta is not None and meta.read_only:
            strategy: Strategy | None = None  # Fides: read_only fields are never rewritten
        elif override is not None:
            strategy = Strategy.from_fides(
                override,
                f"{dataset.fides_key}.{collection.name}.{f.name} masking_strategy_override",
            )
        elif meta is not None and meta.references:
            # A link to other rows, not data about the person: the linked rows are erased
            # themselves, and nulling the link would orphan rows and break resuming.
            strategy = None
        elif any(is_personal_category(c) for c in categories):
            strategy = strategy_for_categories(list(categories), rules)
        else:
            strategy = None
        if strategy is not None:
            strategy = effective(strategy, data_type)
        hold = hold_for(holds, dataset.fides_key, collection.name, list(categories))
        if hold is not None and hold.timestamp_field not in names:
            # Nothing to count the period from in this collection: every row is held.
            hold = hold.untimed()
        out.append(
            FieldPlan(
                name=f.name,
                categories=categories,
                primary_key=bool(meta and meta.primary_key),
                data_type=data_type,
                strategy=strategy,
                hold=hold,
                exported=exported(categories, access if access is not None else ()),
                context=bool(meta and meta.context),
                credential=bool(meta and meta.credential),
                read_only=bool(meta and meta.read_only),
                correctable=is_correctable(f.correctable, categories, correctable_categories or [])
                and not (meta and (meta.read_only or meta.primary_key)),
            )
        )
    return out


def build_plan(
    datamap: DataMap,
    *,
    identity_types: set[str] | None = None,
    connections: dict[str, str] | None = None,
    graph: DatasetGraph | None = None,
) -> Plan:
    """Plan every collection the given identity types reach (all identities if None)."""
    graph = graph or build_graph(datamap)
    rules = erasure_rules(datamap)
    access = access_rules(datamap)
    holds = holding_rules(datamap)
    extra = connections or {}
    reached = graph.reachable(identity_types)
    steps: list[CollectionPlan] = []
    for order, ((ds_key, coll_name), incoming) in enumerate(reached.items()):
        dataset = datamap.get_dataset(ds_key)
        assert dataset is not None
        collection = graph.collections[(ds_key, coll_name)]
        fields = _fields(dataset, collection, rules, holds, access, datamap.correctable)
        pk = next((f.name for f in fields if f.primary_key), None)
        idents = {
            a.field: kind
            for a, kind in sorted(graph.identities.items())
            if a.collection_key == (ds_key, coll_name)
            and (identity_types is None or kind in identity_types)
        }
        meta = collection.fides_meta
        override = meta.masking_strategy_override if meta else None
        delete_row = (
            Strategy.from_fides(override, f"{ds_key}.{coll_name} masking_strategy_override")
            if override is not None
            else None
        )
        if delete_row is not None and delete_row.name != "delete":
            # A collection-wide rewrite applies to every personal field without its own override.
            fields = [
                f
                if f.strategy is None or f.strategy.source.endswith("masking_strategy_override")
                else replace(f, strategy=effective(delete_row, f.data_type))
                for f in fields
            ]
            delete_row = None
        outgoing = {
            e.src.field
            for e in graph.edges
            if e.src.collection_key == (ds_key, coll_name) and e.dst.collection_key in reached
        }
        steps.append(
            CollectionPlan(
                dataset=ds_key,
                collection=coll_name,
                table=_table(dataset, collection),
                connection=_connection(dataset, datamap, extra),
                order=order + 1,
                identities=idents,
                # Nested fields are not columns: no reference is followed through them.
                incoming=[e for e in incoming if "." not in e.dst.field + e.src.field],
                fields=fields,
                primary_key=pk,
                delete_row=delete_row,
                erase_after=list(meta.erase_after or []) if meta else [],
                outgoing={f for f in outgoing if "." not in f},
            )
        )
    return Plan(
        steps=steps, unreachable=graph.unreachable_personal(), owned=owned_references(datamap)
    )
