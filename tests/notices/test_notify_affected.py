"""Change notices to everyone affected: addresses read from the data's own database in
batches, opted-out and erased people left out, one-click unsubscribe on every message."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ombud.consent import service as consent
from ombud.datamap.schemas import Connection, DataMap
from ombud.datamap.schemas_fides import Dataset
from ombud.db import unit_of_work
from ombud.notices import audience
from ombud.notices.notify import PURPOSE
from tests.fixtures.smtp import Mailbox, SmtpServer
from tests.notices.test_notify import Env, deliveries, env, invoke  # noqa: F401  (fixture)

PEOPLE = ["ann@example.com", "Dee@Example.com", "eve@example.com", "fay@example.com", "gus@x.org"]


def _with_customers(datamap: DataMap, db: Path) -> DataMap:
    """The test map with a customer database holding PEOPLE (and a duplicate, a blank)."""
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT)")
        rows = [(p,) for p in [*PEOPLE, "ann@example.com", None]]
        conn.executemany("INSERT INTO accounts (email) VALUES (?)", rows)
    dataset = Dataset.model_validate(
        {
            "fides_key": "customers",
            "connection": "customer_db",
            "collections": [
                {
                    "name": "accounts",
                    "fields": [
                        {"name": "id", "fides_meta": {"primary_key": True}},
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
    org = datamap.organization.model_copy(
        update={
            "notifications": datamap.organization.notifications.model_copy(
                update={"affected_people": True}
            )
        }
    )
    return datamap.model_copy(
        update={
            "organization": org,
            "dataset": [*datamap.dataset, dataset],
            "connection": [
                *datamap.connection,
                Connection(name="customer_db", url=f"sqlite:///{db}"),
            ],
        }
    )


def test_addresses_are_read_in_batches(tmp_path: Path, datamap: DataMap) -> None:
    changed = _with_customers(datamap, tmp_path / "customers.db")
    assert audience.email_columns(changed) == [("customer_db", "accounts", "email")]
    pages = list(audience.addresses(changed, batch=2))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert sorted(a for p in pages for a in p) == sorted(p.lower() for p in PEOPLE)


def test_a_material_change_reaches_everyone_affected_except_who_opted_out(
    env: Env,  # noqa: F811
    smtp_server: SmtpServer,
    datamap: DataMap,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(audience, "BATCH", 2)
    changed = _with_customers(datamap, tmp_path / "customers.db")
    env.apply(changed)
    env.subscribe(["sub@example.com"])
    with unit_of_work(env.engine) as session:
        consent.record_decision(
            session, email="eve@example.com", purpose=PURPOSE, decision="withdrawn", method="api"
        )
        consent.record_decision(
            session, email="fay@example.com", purpose=PURPOSE, decision="withdrawn", method="api"
        )
    with unit_of_work(env.engine) as session:
        consent.erase_subject(session, email="fay@example.com")
    res = invoke("publish", "--material", "--effective", "2026-05-01", "--summary", "New data.")
    assert res.exit_code == 0, res.output
    told = ["ann@example.com", "dee@example.com", "gus@x.org", "sub@example.com"]
    assert sorted(str(m["To"]) for m in smtp_server.mailbox.messages) == told
    assert deliveries(env.engine) == [(a, "sent") for a in told]
    (msg,) = smtp_server.mailbox.to("gus@x.org")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/privacy/unsubscribe/" in str(msg["List-Unsubscribe"])
    text = Mailbox.text(msg)
    assert "New data." in text and "takes effect on 2026-05-01" in text
    assert "https://lumen.example/privacy/statement/versions/1" in text
    assert "because we hold personal data about you" in text
