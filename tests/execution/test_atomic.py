"""Within one database a batch commits together or not at all; a failed request is planned
again from the data map in force when it is retried."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.db import unit_of_work
from ombud.errors import OmbudError
from ombud.execution import repository
from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from ombud.execution.tasks import run_requests
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.execution.variants import Document, field_of, variant

# A rule of the shop's own: a customer's phone may be changed, never blanked. The database
# enforces it on the collection erasure writes last, after every other one.
TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER keep_phone BEFORE UPDATE OF phone ON customers "
        "WHEN NEW.phone IS NULL AND OLD.phone IS NOT NULL "
        "BEGIN SELECT RAISE(ABORT, 'phone must stay set'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION keep_phone() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.phone IS NULL AND OLD.phone IS NOT NULL THEN "
        "RAISE EXCEPTION 'phone must stay set'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER keep_phone BEFORE UPDATE ON customers FOR EACH ROW "
        "EXECUTE FUNCTION keep_phone()",
    ],
    "mysql": [
        "CREATE TRIGGER keep_phone BEFORE UPDATE ON customers FOR EACH ROW BEGIN "
        "IF NEW.phone IS NULL AND OLD.phone IS NOT NULL THEN "
        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'phone must stay set'; END IF; END"
    ],
}


def _guard_phones(target: Target) -> None:
    with target.engine.begin() as conn:
        for statement in TRIGGERS[target.kind]:
            conn.exec_driver_sql(statement)


def _phone_override(doc: Document) -> None:
    field_of(doc, "customers", "phone")["masking_strategy_override"] = {
        "strategy": "string_rewrite",
        "configuration": {"rewrite_value": "+00"},
    }


def test_a_failing_last_collection_leaves_the_earlier_ones_unchanged(
    target: Target, shop_map: object
) -> None:
    _guard_phones(target)
    datamap, _ = variant(lambda doc: None)
    plan = build_plan(datamap)
    assert plan.erase_order()[-1].name == "shop.customers"
    before = shop.snapshot(target.engine)
    journal = MemoryJournal()
    specs = [RequestSpec(f"e{n}", "erasure", {"email": shop.email(n)}) for n in (2, 5)]
    with ConnectorPool(datamap) as pool, pytest.raises(OmbudError) as failed:
        execute_batch(plan, specs, pool=pool, journal=journal, key=b"k")
    assert "phone must stay set" in failed.value.message
    # Carts and newsletter rows were deleted, tickets rewritten, before customers failed: all
    # of it was rolled back with it.
    assert shop.snapshot(target.engine) == before
    assert journal.done(["e2", "e5"]) == set()


def test_a_failed_request_is_planned_again_from_the_fixed_map(
    target: Target, store: tuple[Settings, Engine]
) -> None:
    settings, engine = store
    _guard_phones(target)
    first, first_files = variant(lambda doc: None)
    fixed, fixed_files = variant(_phone_override)
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=first, files=first_files, author="test")
    before = shop.snapshot(target.engine)
    rid = add_request(engine, "erasure", 4)
    (report,) = run_requests(engine, [rid], settings=settings)
    assert report.status == "failed" and "phone must stay set" in report.message
    assert status_of(engine, rid).status == "failed"
    assert shop.snapshot(target.engine) == before
    with unit_of_work(engine) as session:
        # Nothing was done, so nothing that was only meant is kept.
        assert repository.steps(session, [rid]) == []
        datamap_service.apply_map(session, datamap=fixed, files=fixed_files, author="test")
    (retry,) = run_requests(engine, [rid], settings=settings)
    assert retry.status == "completed", retry.message
    after = shop.snapshot(target.engine)
    (customer,) = shop.rows_of(after, 4)["shop.customers"]
    assert customer["phone"] == "+00" and customer["name"] is None
    assert shop.rows_of(after, 4)["shop.carts"] == []
    for n in (1, 2, 3, 5, 6):
        assert shop.rows_of(after, n) == shop.rows_of(before, n)
    with unit_of_work(engine) as session:
        steps = repository.steps(session, [rid])
        assert steps and all(s.status == "done" for s in steps)
        run = repository.get_run(session, rid)
        assert run is not None and run.attempts == 2
