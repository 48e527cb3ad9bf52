"""Erasure strategies a column cannot take are refused before anything is written."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ombud.config import Settings
from ombud.connectors.base import ColumnInfo
from ombud.datamap import service as datamap_service
from ombud.db import unit_of_work
from ombud.execution import constraints, repository
from ombud.execution.constraints import StrategyRefused, check_field, output_length
from ombud.execution.masking import Strategy
from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from ombud.execution.tasks import run_requests
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.execution.variants import Document, field_of, variant

TEXT = ColumnInfo("c", "VARCHAR(10)", "text", max_length=10)


@pytest.mark.parametrize(
    ("strategy", "column", "why"),
    [
        (Strategy("null"), ColumnInfo("c", "INTEGER", "integer", nullable=False), "is NOT NULL"),
        (Strategy("null"), ColumnInfo("c", "INTEGER", "integer", primary_key=True), "primary key"),
        (Strategy("null"), ColumnInfo("c", "TEXT", "text", unique=True), None),
        (
            Strategy("null"),
            ColumnInfo("c", "TEXT", "text", unique=True, nulls_distinct=False),
            "NULLS NOT DISTINCT",
        ),
        (Strategy("hmac"), TEXT, "at most 10 characters; the strategy writes 64"),
        (
            Strategy("hmac", {"algorithm": "MD5"}),
            ColumnInfo("c", "CHAR(32)", "text", max_length=32),
            None,
        ),
        (Strategy("hash", {"algorithm": "nope"}), TEXT, "unknown hash algorithm 'nope'"),
        (Strategy("random", {"length": 10}), TEXT, None),
        (Strategy("random", {"length": 11}), TEXT, "writes 11"),
        (
            Strategy("fixed", {"rewrite_value": "x"}),
            ColumnInfo("c", "INT", "integer"),
            "integer values, not text",
        ),
        (
            Strategy("fixed", {"rewrite_value": "x"}),
            ColumnInfo("c", "TEXT", "text", unique=True),
            "UNIQUE",
        ),
        (Strategy("fixed", {"rewrite_value": "x"}), ColumnInfo("c", "", "any"), None),
    ],
)
def test_check_field(strategy: Strategy, column: ColumnInfo, why: str | None) -> None:
    found = check_field(strategy, column)
    assert (found is None) == (why is None), found
    if why is not None:
        assert found is not None and why in found


def test_output_length_counts_the_suffix() -> None:
    keep_domain = {"format_preservation": {"suffix": "@masked.test"}}
    assert output_length(Strategy("hmac", keep_domain)) == 64 + len("@masked.test")
    assert output_length(Strategy("fixed", {"rewrite_value": "a@masked.test", **keep_domain})) == 13


def _without_policy(doc: Document) -> None:
    doc["policy"] = []  # Ombud's default then writes NULL into every personal field


def test_a_null_into_a_not_null_column_is_refused_before_any_change(target: Target) -> None:
    datamap, _ = variant(_without_policy)
    before = shop.snapshot(target.engine)
    plan = build_plan(datamap)
    journal = MemoryJournal()
    spec = RequestSpec("e3", "erasure", {"email": shop.email(3)})
    with ConnectorPool(datamap) as pool, pytest.raises(StrategyRefused) as refused:
        execute_batch(plan, [spec], pool=pool, journal=journal, key=b"k")
    message = refused.value.message
    assert "shop.customers.email: erasure strategy null" in message
    assert "column email" in message and "is NOT NULL" in message
    assert "default: no erasure policy" in message  # where the strategy came from
    assert shop.snapshot(target.engine) == before  # carts, tickets, orders: untouched
    assert journal.planned(["e3"]) == {}


def test_wrong_type_and_too_long_are_refused(target: Target) -> None:
    def change(doc: Document) -> None:
        field_of(doc, "orders", "total_cents")["masking_strategy_override"] = {
            "strategy": "string_rewrite",
            "configuration": {"rewrite_value": "none"},
        }
        field_of(doc, "orders", "total_cents")["fides_meta"] = {}  # type not declared here
        field_of(doc, "customers", "segment")["data_categories"] = ["user.demographic"]
        field_of(doc, "customers", "segment")["masking_strategy_override"] = {
            "strategy": "random_string_rewrite",
            "configuration": {"length": 21},
        }

    datamap, _ = variant(change)
    with ConnectorPool(datamap) as pool:
        problems = {
            (p.collection, p.field): p for p in constraints.unwritable(build_plan(datamap), pool)
        }
    assert set(problems) == {("shop.orders", "total_cents"), ("shop.customers", "segment")}
    assert "integer values, not text" in problems[("shop.orders", "total_cents")].constraint
    assert "at most 20 characters; the strategy writes 21" in str(
        problems[("shop.customers", "segment")]
    )


def test_refused_request_fails_retriable_and_runs_once_the_map_is_fixed(
    target: Target, store: tuple[Settings, Engine]
) -> None:
    settings, engine = store
    broken, broken_files = variant(_without_policy)
    fixed, fixed_files = variant(lambda doc: None)
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=broken, files=broken_files, author="test")
    before = shop.snapshot(target.engine)
    erasure = add_request(engine, "erasure", 3)
    access = add_request(engine, "access", 4)
    reports = {r.request_id: r for r in run_requests(engine, [erasure, access], settings=settings)}
    assert reports[erasure].status == "failed"
    assert "shop.customers.email" in reports[erasure].message
    assert reports[access].status == "completed"  # the batch's access request is not held up
    assert status_of(engine, erasure).status == "failed"
    assert shop.snapshot(target.engine) == before
    with unit_of_work(engine) as session:
        assert repository.steps(session, [erasure]) == []
        datamap_service.apply_map(session, datamap=fixed, files=fixed_files, author="test")
    (retry,) = run_requests(engine, [erasure], settings=settings)
    assert retry.status == "completed", retry.message
    mine = shop.rows_of(shop.snapshot(target.engine), 3)
    assert mine["shop.carts"] == [] and mine["shop.customers"][0]["name"] is None
