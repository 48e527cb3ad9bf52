"""Two databases: each commits its own part when done; a failure in the second leaves the first
one's work recorded as done, and the retry carries on from the step journal."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)

from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.execution import repository
from ombud.execution.planner import build_plan
from ombud.execution.tasks import run_requests
from tests.execution import shop
from tests.execution.test_lifecycle import add_request, status_of
from tests.execution.variants import Document, variant

mail_meta = MetaData()
subscribers = Table(
    "subscribers",
    mail_meta,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", String(200), nullable=False),
)


def _split(doc: Document) -> None:
    """The newsletter moves to a database of its own."""
    (dataset,) = doc["dataset"]
    dataset["collections"] = [
        c for c in dataset["collections"] if c["name"] not in ("newsletter", "legacy_log")
    ]
    customers = next(c for c in dataset["collections"] if c["name"] == "customers")
    customers["fides_meta"] = {"erase_after": ["mail.subscribers"]}
    doc["connection"].append({"name": "mail_db", "url": "${OMBUD_TEST_MAIL_URL}"})
    doc["dataset"].append(
        {
            "fides_key": "mail",
            "connection": "mail_db",
            "collections": [
                {
                    "name": "subscribers",
                    "fides_meta": {"masking_strategy_override": {"strategy": "delete"}},
                    "fields": [
                        {
                            "name": "id",
                            "data_categories": ["system.operations"],
                            "fides_meta": {"primary_key": True},
                        },
                        {
                            "name": "email",
                            "data_categories": ["user.contact.email"],
                            "fides_meta": {"identity": "email"},
                        },
                    ],
                }
            ],
        }
    )


def test_a_database_that_committed_stays_done_and_the_retry_carries_on(
    store: tuple[Settings, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, engine = store
    shop_engine = create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    mail_engine = create_engine(f"sqlite:///{tmp_path / 'mail.db'}")
    shop.populate(shop_engine)
    mail_meta.create_all(mail_engine)
    with mail_engine.begin() as conn:
        conn.execute(insert(subscribers), [{"id": n, "email": shop.email(n)} for n in (1, 2, 3)])
    monkeypatch.setenv(shop.URL_VAR, str(shop_engine.url))
    monkeypatch.setenv("OMBUD_TEST_MAIL_URL", str(mail_engine.url))
    datamap, _ = variant(_split)
    order = [s.name for s in build_plan(datamap).erase_order()]
    # The mail database's only collection comes before the shop's last one.
    assert order.index("mail.subscribers") < order.index("shop.customers") == len(order) - 1
    with shop_engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER keep_phone BEFORE UPDATE OF phone ON customers "
            "WHEN NEW.phone IS NULL BEGIN SELECT RAISE(ABORT, 'phone must stay set'); END"
        )
    before = shop.snapshot(shop_engine)
    rid = add_request(engine, "erasure", 2)
    (report,) = run_requests(engine, [rid], settings=settings, datamap=datamap)
    assert report.status == "failed" and "phone must stay set" in report.message
    with mail_engine.connect() as conn:
        assert [r.id for r in conn.execute(select(subscribers.c.id))] == [1, 3]
    assert shop.snapshot(shop_engine) == before
    with unit_of_work(engine) as session:
        steps = {s.collection: s.status for s in repository.steps(session, [rid])}
    assert steps.pop("mail.subscribers") == "done"
    assert steps and set(steps.values()) == {"pending"}
    with shop_engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER keep_phone")
    (retry,) = run_requests(engine, [rid], settings=settings, datamap=datamap)
    assert retry.status == "completed", retry.message
    assert status_of(engine, rid).status == "completed"
    mine = shop.rows_of(shop.snapshot(shop_engine), 2)
    assert mine["shop.carts"] == [] and mine["shop.customers"][0]["phone"] is None
    result = status_of(engine, rid).result
    assert result is not None and result["collections"]["mail.subscribers"]["action"] == "delete"
    shop_engine.dispose()
    mail_engine.dispose()
