"""The graph of datasets: which collections a person's identity reaches, and through which fields.

Fides reference semantics: ``references: [{dataset: D, field: "coll.f", direction: from}]`` on a
field means values flow FROM ``D.coll.f`` TO this field; ``direction: to`` the other way; no
direction means both ways. ``fides_meta.identity`` marks fields queried with the person's identity.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from ombud.datamap.schemas import DataMap
from ombud.datamap.schemas_fides import Collection, DatasetField
from ombud.datamap.taxonomy import is_personal_category


@dataclass(frozen=True, order=True)
class FieldAddress:
    """One field of one collection; ``field`` may be dotted for nested fields."""

    dataset: str
    collection: str
    field: str

    @property
    def collection_key(self) -> tuple[str, str]:
        """(dataset, collection)."""
        return (self.dataset, self.collection)

    def __str__(self) -> str:
        return f"{self.dataset}.{self.collection}.{self.field}"


@dataclass(frozen=True)
class Edge:
    """Values flow ``src`` -> ``dst``: knowing src's values we can query dst."""

    src: FieldAddress
    dst: FieldAddress


def iter_fields(
    fields: list[DatasetField] | None, prefix: str = ""
) -> Iterator[tuple[str, DatasetField]]:
    """Yield (dotted name, field) for every field, nested ones included."""
    for f in fields or []:
        name = f"{prefix}{f.name}"
        yield name, f
        yield from iter_fields(f.fields, f"{name}.")


def collection_categories(collection: Collection) -> set[str]:
    """Every data category named on the collection or any of its fields."""
    found = set(collection.data_categories or [])
    for _name, f in iter_fields(collection.fields):
        found.update(f.data_categories or [])
    return found


@dataclass
class DatasetGraph:
    """Identity fields, reference edges and the collections they connect."""

    identities: dict[FieldAddress, str]
    edges: list[Edge]
    collections: dict[tuple[str, str], Collection]

    def _bfs(self, identity_types: set[str] | None) -> list[tuple[str, str]]:
        start = [
            addr.collection_key
            for addr, kind in sorted(self.identities.items())
            if identity_types is None or kind in identity_types
        ]
        seen: set[tuple[str, str]] = set()
        order: list[tuple[str, str]] = []
        queue: deque[tuple[str, str]] = deque()
        for key in start:
            if key not in seen:
                seen.add(key)
                order.append(key)
                queue.append(key)
        while queue:
            current = queue.popleft()
            for edge in self.edges:
                nxt = edge.dst.collection_key
                if edge.src.collection_key == current and nxt not in seen:
                    seen.add(nxt)
                    order.append(nxt)
                    queue.append(nxt)
        return order

    def reachable(
        self, identity_types: set[str] | None = None
    ) -> dict[tuple[str, str], list[Edge]]:
        """Collections reachable from the given identity types (all if None), in breadth-first
        order, each with every edge into it from a reachable collection (earlier or later in
        that order, itself included): the traversal follows all of them until no new value
        appears, so a collection reached by several references is read through each."""
        order = self._bfs(identity_types)
        reached = set(order)
        return {
            key: [
                e
                for e in self.edges
                if e.dst.collection_key == key and e.src.collection_key in reached
            ]
            for key in order
        }

    def unreachable_personal(self) -> list[tuple[str, str, str]]:
        """(dataset, collection, reason) for personal-data collections no identity reaches."""
        reached = set(self._bfs(None))
        out: list[tuple[str, str, str]] = []
        for key, collection in sorted(self.collections.items()):
            if key in reached:
                continue
            personal = sorted(
                c for c in collection_categories(collection) if is_personal_category(c)
            )
            if not personal:
                continue
            out.append((key[0], key[1], self._reason(key)))
        return out

    def _reason(self, key: tuple[str, str]) -> str:
        incoming = sorted({str(e.src) for e in self.edges if e.dst.collection_key == key})
        if incoming:
            return (
                f"its only incoming reference(s) come from {', '.join(incoming)}, which no "
                "identity reaches"
            )
        if not self.identities:
            return (
                "no field in the data map has fides_meta.identity, and this collection has no "
                "fides_meta.references from a reachable collection"
            )
        outgoing = sorted({str(e.dst) for e in self.edges if e.src.collection_key == key})
        hint = (
            f" (its references to {', '.join(outgoing)} point away from it: use direction: from)"
            if outgoing
            else ""
        )
        return (
            "no field has fides_meta.identity and no fides_meta.references brings values into "
            f"it from a reachable collection{hint}"
        )


def _resolve(dataset: str, dotted: str) -> FieldAddress | None:
    collection, sep, rest = dotted.partition(".")
    if not sep or not rest:
        return None
    return FieldAddress(dataset, collection, rest)


def build_graph(datamap: DataMap) -> DatasetGraph:
    """Build the graph of every dataset; skip_processing collections and dangling references
    are left out (``validate`` reports the latter)."""
    collections: dict[tuple[str, str], Collection] = {}
    for ds in datamap.dataset:
        for coll in ds.collections:
            if coll.fides_meta is not None and coll.fides_meta.skip_processing:
                continue
            collections[(ds.fides_key, coll.name)] = coll
    identities: dict[FieldAddress, str] = {}
    edges: list[Edge] = []
    seen: set[Edge] = set()

    def add(edge: Edge) -> None:
        if (
            edge.src.collection_key in collections
            and edge.dst.collection_key in collections
            and edge not in seen
        ):
            seen.add(edge)
            edges.append(edge)

    for (ds_key, coll_name), coll in collections.items():
        for name, f in iter_fields(coll.fields):
            here = FieldAddress(ds_key, coll_name, name)
            meta = f.fides_meta
            if meta is None:
                continue
            if meta.identity:
                identities[here] = meta.identity
            for ref in meta.references or []:
                there = _resolve(ref.dataset, ref.field)
                if there is None:
                    continue
                if ref.direction in (None, "from"):
                    add(Edge(there, here))
                if ref.direction in (None, "to"):
                    add(Edge(here, there))
    return DatasetGraph(identities=identities, edges=edges, collections=collections)
