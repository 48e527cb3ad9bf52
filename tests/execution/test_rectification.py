"""Rectification on the demo company's database (SQLite and PostgreSQL): exactly the asked
fields of the person's own rows change; shared, held and read-only data is reported, not
changed; the preview lists every value that would change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select

from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import Connection, DataMap
from ombud.demo.appdb import CONNECTION_NAME, TABLES, create_schema
from ombud.demo.generate import populate
from ombud.demo.setup import DATAMAP_SOURCE
from ombud.execution.planner import build_plan
from ombud.execution.rectification import RectifyChange
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from ombud.execution.service import result_of

NOW = datetime(2026, 6, 15)
KEY = b"test-masking-key"


@dataclass
class Company:
    """The demo application database and the demo data map pointed at it."""

    engine: Engine
    datamap: DataMap


@pytest.fixture(params=["sqlite", "postgresql"])
def company(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Company]:
    """A small generated company database on each engine."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'app.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    create_schema(engine)
    populate(engine, people=40, seed=7, now=NOW)
    datamap = load_datamap(DATAMAP_SOURCE)
    datamap.connection = [Connection(name=CONNECTION_NAME, url=url)]
    yield Company(engine, datamap)
    engine.dispose()


def snapshot(engine: Engine) -> dict[str, dict[Any, dict[str, Any]]]:
    """Every row of every table, by id."""
    with engine.connect() as conn:
        return {
            name: {r["id"]: dict(r) for r in conn.execute(select(table)).mappings()}
            for name, table in TABLES.items()
        }


def family_account(engine: Engine) -> dict[str, Any]:
    """An account with family mailboxes, invoices and a newsletter subscription."""
    a, m, i = TABLES["accounts"], TABLES["mailboxes"], TABLES["invoices"]
    mc = TABLES["marketing_contacts"]
    with engine.connect() as conn:
        for acc in conn.execute(select(a).order_by(a.c.id)).mappings():
            boxes = conn.scalar(select(func.count()).select_from(m).where(m.c.account_id == acc.id))
            bills = conn.scalar(select(func.count()).select_from(i).where(i.c.account_id == acc.id))
            news = conn.scalar(select(func.count()).select_from(mc).where(mc.c.email == acc.email))
            if boxes and boxes >= 2 and bills and news:
                return dict(acc)
    raise AssertionError("the generated database has no family account with invoices")


def _run(company: Company, spec: RequestSpec, *, dry_run: bool = False) -> Any:
    plan = build_plan(company.datamap)
    with ConnectorPool(company.datamap) as pool:
        out = execute_batch(
            plan, [spec], pool=pool, journal=MemoryJournal(), key=KEY, dry_run=dry_run
        )
    return plan, out[spec.id]


def test_name_and_country_change_only_the_persons_own_fields(company: Company) -> None:
    person = family_account(company.engine)
    country = "FR" if person["country"] != "FR" else "DE"
    corrections = {
        "user.name": "Jane Q. Public",  # a category: every field holding exactly user.name
        "accounts.country": country,
        "user.demographic.language": "fr",  # read_only in the data map
    }
    spec = RequestSpec("rect-1", "rectification", {"email": person["email"]}, corrections)
    before = snapshot(company.engine)

    # The preview lists exactly the values that would change, and changes nothing.
    _plan, preview = _run(company, spec, dry_run=True)
    diffs = [d for c in preview.changes if isinstance(c, RectifyChange) for d in c.diffs]
    assert sorted(diffs) == [
        (person["id"], "country", person["country"], country),
        (person["id"], "name", person["name"], "Jane Q. Public"),
    ]
    assert snapshot(company.engine) == before

    plan, outcome = _run(company, spec)
    after = snapshot(company.engine)
    changed = {
        (table, rid)
        for table, rows in after.items()
        for rid, row in rows.items()
        if before[table][rid] != row
    }
    assert changed == {("accounts", person["id"])}
    assert after["accounts"][person["id"]] == {
        **before["accounts"][person["id"]],
        "name": "Jane Q. Public",
        "country": country,
    }

    # What was not changed is reported, with the reason, once per field.
    kept = {(k["collection"], k["field"]): k for k in result_of(plan, outcome)["kept"]}
    boxes = [r for r in before["mailboxes"].values() if r["account_id"] == person["id"]]
    bills = [r for r in before["invoices"].values() if r["account_id"] == person["id"]]
    shared = kept[("postlicht_app.mailboxes", "display_name")]
    assert "shared with other people" in shared["reason"] and shared["rows"] == len(boxes)
    held = kept[("postlicht_app.invoices", "billing_name")]
    assert "legal hold" in held["reason"] and "§ 147" in held["reason"]
    assert held["rows"] == len(bills)
    assert "read-only" in kept[("postlicht_app.accounts", "language")]["reason"]
    # A first name is not a full name: the newsletter greeting is neither changed nor named.
    assert ("postlicht_app.marketing_contacts", "first_name") not in kept
    summary = result_of(plan, outcome)["collections"]
    assert summary["postlicht_app.accounts"]["action"] == "rectify"
    assert summary["postlicht_app.accounts"]["fields"] == ["country", "name"]
    assert summary["postlicht_app.invoices"]["held"]["rows"] == len(bills)

    # Running it again changes nothing more.
    _plan, again = _run(company, spec)
    assert snapshot(company.engine) == after
    assert all(not c.rewrites for c in again.changes)


def test_a_field_key_changes_the_persons_row_and_reports_shared_ones(company: Company) -> None:
    person = family_account(company.engine)
    first = "Janie"
    spec = RequestSpec(
        "rect-2",
        "rectification",
        {"email": person["email"]},
        {"marketing_contacts.first_name": first, "mailboxes.display_name": "Jane"},
    )
    before = snapshot(company.engine)
    plan, outcome = _run(company, spec)
    after = snapshot(company.engine)
    (contact,) = [r for r in after["marketing_contacts"].values() if r["email"] == person["email"]]
    assert contact["first_name"] == first
    boxes = [r for r in after["mailboxes"].values() if r["account_id"] == person["id"]]
    assert boxes == [before["mailboxes"][r["id"]] for r in boxes]
    reasons = {k["field"]: k["reason"] for k in result_of(plan, outcome)["kept"]}
    assert "through accounts.id" in reasons["display_name"]
