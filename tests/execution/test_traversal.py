"""The traversal finds every row some chain of references leads to, on all three engines: a
collection reached early and late, references in both directions, a cycle, a chain of four."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from sqlalchemy import Engine

from ombud.connectors.mysql import MySQLConnector
from ombud.connectors.postgresql import PostgresConnector
from ombud.connectors.sqlite import SQLiteConnector
from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from tests.execution.graphs import KEY, Ref, Schema, access, create, empty_db, reachable

__all__ = ["empty_db"]  # the fixture, used by name

INT, STR = "int", "str"

# The shape: an address referenced by the customer, by the customer's orders (shipping)
# and by the payment card (billing); addresses declared first.
SHOP = Schema(
    tables={
        "addresses": {"id": INT, "street": STR},
        "customers": {"id": INT, "email": STR, "address_id": INT},
        "orders": {"id": INT, "customer_id": INT, "shipping_address_id": INT},
        "cards": {"id": INT, "customer_id": INT, "billing_address_id": INT},
    },
    identities={("customers", "email"): "email"},
    refs=[
        Ref("customers", "address_id", "addresses", "id", "to"),
        Ref("orders", "customer_id", "customers", "id", "from"),
        Ref("orders", "shipping_address_id", "addresses", "id", "to"),
        Ref("cards", "customer_id", "customers", "id", "from"),
        Ref("cards", "billing_address_id", "addresses", "id", "to"),
    ],
)
SHOP_ROWS = {
    "addresses": [{"id": i, "street": f"Street {i}"} for i in range(1, 7)],
    "customers": [
        {"id": 1, "email": "ann@example.test", "address_id": 1},
        {"id": 2, "email": "bob@example.test", "address_id": 4},
    ],
    "orders": [
        {"id": 1, "customer_id": 1, "shipping_address_id": 2},
        {"id": 2, "customer_id": 2, "shipping_address_id": 5},
    ],
    "cards": [
        {"id": 1, "customer_id": 1, "billing_address_id": 3},
        {"id": 2, "customer_id": 2, "billing_address_id": 6},
    ],
}


def _check(engine: Engine, url: str, schema: Schema, rows: Any, who: Mapping[str, str]) -> Any:
    create(engine, schema, rows)
    got = access(schema.datamap(url), who)
    assert got == reachable(schema, rows, who)
    return got


def test_a_collection_reached_by_several_references_is_read_through_each(
    empty_db: tuple[str, Engine],
) -> None:
    url, engine = empty_db
    got = _check(engine, url, SHOP, SHOP_ROWS, {"email": "ann@example.test"})
    assert got == {"customers": {1}, "orders": {1}, "cards": {1}, "addresses": {1, 2, 3}}
    plan = build_plan(SHOP.datamap(url))
    incoming = {str(e.src) for e in plan.step("app.addresses").incoming}
    assert incoming == {
        "app.customers.address_id",
        "app.orders.shipping_address_id",
        "app.cards.billing_address_id",
    }


# A chain of four declared last to first, whose end is also reached straight from the start:
# d is reached early (through a.d_id) and late (a -> b -> c -> d).
CHAIN = Schema(
    tables={
        "d": {"id": INT, "c_id": INT},
        "c": {"id": INT, "b_id": INT},
        "b": {"id": INT, "a_id": INT},
        "a": {"id": INT, "email": STR, "d_id": INT},
    },
    identities={("a", "email"): "email"},
    refs=[
        Ref("d", "c_id", "c", "id", "from"),
        Ref("c", "b_id", "b", "id", "from"),
        Ref("b", "a_id", "a", "id", "from"),
        Ref("a", "d_id", "d", "id", "to"),
    ],
)
CHAIN_ROWS = {
    "a": [
        {"id": 1, "email": "ann@example.test", "d_id": 10},
        {"id": 2, "email": "x@y", "d_id": 13},
    ],
    "b": [{"id": 1, "a_id": 1}, {"id": 2, "a_id": 2}],
    "c": [{"id": 1, "b_id": 1}, {"id": 2, "b_id": 2}],
    "d": [
        {"id": 10, "c_id": None},
        {"id": 11, "c_id": 1},
        {"id": 12, "c_id": 2},
        {"id": 13, "c_id": None},
    ],
}


def test_a_chain_of_four_reaches_a_collection_also_reached_early(
    empty_db: tuple[str, Engine],
) -> None:
    url, engine = empty_db
    got = _check(engine, url, CHAIN, CHAIN_ROWS, {"email": "ann@example.test"})
    assert got == {"a": {1}, "b": {1}, "c": {1}, "d": {10, 11}}
    order = [s.collection for s in build_plan(CHAIN.datamap(url)).steps]
    assert order.index("d") < order.index("c")  # d comes early: the chain still reaches it


# Both directions: phones -> customers through a reference without direction (values flow
# both ways, so the customer's other phone is found too), customers -> tickets through a
# reference declared on customers with direction "to".
BOTH = Schema(
    tables={
        "phones": {"id": INT, "customer_id": INT, "number": STR},
        "customers": {"id": INT, "email": STR},
        "tickets": {"id": INT, "customer_id": INT},
    },
    identities={("phones", "number"): "phone_number", ("customers", "email"): "email"},
    refs=[
        Ref("phones", "customer_id", "customers", "id", None),
        Ref("customers", "id", "tickets", "customer_id", "to"),
    ],
)
BOTH_ROWS = {
    "phones": [
        {"id": 1, "customer_id": 1, "number": "+49301"},
        {"id": 2, "customer_id": 1, "number": "+49302"},
        {"id": 3, "customer_id": 2, "number": "+49303"},
    ],
    "customers": [{"id": 1, "email": "ann@example.test"}, {"id": 2, "email": "bob@example.test"}],
    "tickets": [{"id": 1, "customer_id": 1}, {"id": 2, "customer_id": 2}],
}


def test_references_are_followed_in_both_directions(empty_db: tuple[str, Engine]) -> None:
    url, engine = empty_db
    got = _check(engine, url, BOTH, BOTH_ROWS, {"phone": "+49301"})
    assert got == {"phones": {1, 2}, "customers": {1}, "tickets": {1}}


# A cycle a -> b -> c -> a whose rows lead from Ann to Cleo and back to Ann.
CYCLE = Schema(
    tables={
        "a": {"id": INT, "email": STR, "b_id": INT},
        "b": {"id": INT, "c_id": INT},
        "c": {"id": INT, "a_email": STR},
    },
    identities={("a", "email"): "email"},
    refs=[
        Ref("a", "b_id", "b", "id", "to"),
        Ref("b", "c_id", "c", "id", "to"),
        Ref("c", "a_email", "a", "email", "to"),
    ],
)
CYCLE_ROWS = {
    "a": [
        {"id": 1, "email": "ann@example.test", "b_id": 1},
        {"id": 2, "email": "cleo@example.test", "b_id": 2},
        {"id": 3, "email": "bob@example.test", "b_id": 3},
        {"id": 4, "email": "dan@example.test", "b_id": 4},
    ],
    "b": [{"id": i, "c_id": i} for i in range(1, 5)],
    "c": [
        {"id": 1, "a_email": "cleo@example.test"},
        {"id": 2, "a_email": "ann@example.test"},
        {"id": 3, "a_email": None},
        {"id": 4, "a_email": "dan@example.test"},
    ],
}


@pytest.fixture
def fetches(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Queries per table made through any connector."""
    counts: Counter[str] = Counter()
    for cls in (SQLiteConnector, PostgresConnector, MySQLConnector):

        def counted(
            self: Any, collection: str, *args: Any, _real: Any = cls.fetch, **kw: Any
        ) -> Any:
            counts[collection] += 1
            return _real(self, collection, *args, **kw)

        monkeypatch.setattr(cls, "fetch", counted)
    yield counts


def _batch(dm: Any, specs: Sequence[RequestSpec]) -> dict[str, dict[str, set[int]]]:
    plan = build_plan(dm)
    with ConnectorPool(dm) as pool:
        out = execute_batch(plan, specs, pool=pool, journal=MemoryJournal(), key=KEY)
    return {
        s.id: {
            n.removeprefix("app."): {r["id"] for r in rows} for n, rows in o.rows.items() if rows
        }
        for s, o in ((s, out[s.id]) for s in specs)
    }


def test_a_cycle_ends_and_each_round_reads_a_collection_once_for_the_batch(
    empty_db: tuple[str, Engine], fetches: Counter[str]
) -> None:
    url, engine = empty_db
    create(engine, CYCLE, CYCLE_ROWS)
    specs = [
        RequestSpec("ann", "access", {"email": "ann@example.test"}),
        RequestSpec("bob", "access", {"email": "bob@example.test"}),
        RequestSpec("dan", "access", {"email": "dan@example.test"}),
    ]
    got = _batch(CYCLE.datamap(url), specs)
    for spec in specs:
        assert got[spec.id] == reachable(CYCLE, CYCLE_ROWS, spec.identities), spec.id
    assert got["ann"] == {"a": {1, 2}, "b": {1, 2}, "c": {1, 2}}
    assert got["dan"] == {"a": {4}, "b": {4}, "c": {4}}  # leads back to itself and stops
    # Round one reads a, b, c for the three; round two reads them for Cleo's values; a third
    # round finds nothing new (c.2 leads back to Ann, already searched).
    assert fetches == {"a": 2, "b": 2, "c": 2}


def test_a_tree_of_references_takes_one_query_per_collection(
    empty_db: tuple[str, Engine], fetches: Counter[str]
) -> None:
    url, engine = empty_db
    create(engine, SHOP, SHOP_ROWS)
    specs = [
        RequestSpec("ann", "access", {"email": "ann@example.test"}),
        RequestSpec("bob", "access", {"email": "bob@example.test"}),
    ]
    got = _batch(SHOP.datamap(url), specs)
    assert got["bob"] == {"customers": {2}, "orders": {2}, "cards": {2}, "addresses": {4, 5, 6}}
    # addresses come before orders and cards in plan order: a second round reads it once more.
    assert fetches == {"customers": 1, "orders": 1, "cards": 1, "addresses": 2}
