"""A small application database with dated rows, and its data map, for retention tests.

The clock of the tests stands at 2026-03-02 09:00 UTC (``frozen_clock``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
)

from ombud.datamap.loader import parse_files
from ombud.datamap.schemas import DataMap

metadata = MetaData()
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", String(200), nullable=False),
    Column("name", String(100), nullable=True),
    Column("closed_at", DateTime(), nullable=True),
)
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("body", String(200), nullable=True),
)
sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("ip", String(45), nullable=True),
    Column("at", DateTime(), nullable=False),
)
orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("billing_name", String(100), nullable=True),
    Column("issued_on", Date, nullable=False),
)
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("device", String(36), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("path", String(100), nullable=False),
    Column("at", DateTime(), nullable=False),
)

ROWS: dict[str, list[dict[str, Any]]] = {
    "accounts": [
        {"id": 1, "email": "a@x.example", "name": "Ann", "closed_at": datetime(2024, 2, 1)},
        # Closed 60 days ago: past 30 days, but the dispute hold keeps it for a year.
        {"id": 2, "email": "b@x.example", "name": "Ben", "closed_at": datetime(2026, 1, 1)},
        {"id": 3, "email": "c@x.example", "name": "Cem", "closed_at": None},
        # Closed long ago, but an order of 2020 (kept for tax law) still refers to it.
        {"id": 4, "email": "d@x.example", "name": "Dee", "closed_at": datetime(2023, 1, 5)},
        # Closed 400 days ago; its only order is older than ten years.
        {"id": 5, "email": "e@x.example", "name": "Eve", "closed_at": datetime(2025, 1, 26)},
    ],
    "notes": [
        {"id": 1, "account_id": 1, "body": "n1"},
        {"id": 2, "account_id": 1, "body": "n2"},
        {"id": 3, "account_id": 2, "body": "n3"},
    ],
    "sessions": [
        {"id": 1, "account_id": 3, "ip": "10.0.0.1", "at": datetime(2026, 2, 20)},
        {"id": 2, "account_id": 3, "ip": "10.0.0.2", "at": datetime(2025, 10, 1)},
        {"id": 3, "account_id": 1, "ip": "10.0.0.3", "at": datetime(2024, 1, 15)},
    ],
    "orders": [
        {"id": 1, "account_id": 4, "billing_name": "Dee", "issued_on": date(2020, 6, 1)},
        {"id": 2, "account_id": 5, "billing_name": "Eve", "issued_on": date(2015, 1, 10)},
    ],
    "events": [
        {"id": 1, "device": "d1", "account_id": 3, "path": "/a", "at": datetime(2024, 12, 1)},
        {"id": 2, "device": "d2", "account_id": 3, "path": "/b", "at": datetime(2026, 1, 1)},
    ],
}

DATAMAP = """
organization: {fides_key: shop, name: Shop}
connection:
  - {name: app, url: "${OMBUD_TEST_RETENTION_URL}"}
dataset:
  - fides_key: app
    connection: app
    collections:
      - name: accounts
        fields:
          - {name: id, data_categories: [user.unique_id], fides_meta: {primary_key: true}}
          - {name: email, data_categories: [user.contact.email], fides_meta: {identity: email}}
          - {name: name, data_categories: [user.name]}
          - {name: closed_at, data_categories: [system.operations]}
      - name: notes
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: account_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: app, field: accounts.id, direction: from}]
          - {name: body, data_categories: [user.content.private]}
      - name: sessions
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: account_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: app, field: accounts.id, direction: from}]
          - {name: ip, data_categories: [user.device.ip_address]}
          - {name: at, data_categories: [system.operations]}
      - name: orders
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: account_id
            data_categories: [user.unique_id]
            fides_meta:
              references: [{dataset: app, field: accounts.id, direction: from}]
          - {name: billing_name, data_categories: [user.name]}
          - {name: issued_on, data_categories: [system.operations]}
      - name: events
        fields:
          - {name: id, data_categories: [system.operations], fides_meta: {primary_key: true}}
          - name: device
            data_categories: [user.device.device_id]
            fides_meta:
              masking_strategy_override:
                strategy: string_rewrite
                configuration: {rewrite_value: gone}
          - name: account_id
            data_categories: [user.unique_id]
            fides_meta:
              read_only: true
              references: [{dataset: app, field: accounts.id, direction: from}]
          - {name: path, data_categories: [user.behavior.browsing_history]}
          - {name: at, data_categories: [system.operations]}
retention:
  - fides_key: account_data
    collections: [app.accounts, app.notes]
    period: P30D
    timestamp_field: closed_at
    action: delete
  - fides_key: dispute
    collections: [app.accounts, app.notes]
    period: P1Y
    timestamp_field: closed_at
    legal_hold: true
    action: report
    reason: Kept a year after closing for disputes
  - fides_key: sessions
    collections: [app.sessions]
    period: P90D
    timestamp_field: at
    action: delete
  - fides_key: tax
    collections: [app.orders]
    period: P10Y
    timestamp_field: issued_on
    action: delete
    legal_hold: true
    reason: Tax law
  - fides_key: analytics
    collections: [app.events]
    data_categories: [user.device, user.unique_id]
    period: P13M
    timestamp_field: at
    action: anonymise
"""


def datamap() -> DataMap:
    """The data map of this database (``${OMBUD_TEST_RETENTION_URL}`` names it)."""
    return parse_files({"map.yml": DATAMAP})


def populate(engine: Engine) -> None:
    """Create the tables and their rows."""
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        for name in ("accounts", "notes", "sessions", "orders", "events"):
            conn.execute(insert(metadata.tables[name]), ROWS[name])


def ids(engine: Engine, table: str) -> list[int]:
    """The ids left in ``table``."""
    with engine.connect() as conn:
        t = metadata.tables[table]
        return sorted(r[0] for r in conn.execute(select(t.c.id)))


def rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    """Every row of ``table`` by id."""
    with engine.connect() as conn:
        t = metadata.tables[table]
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]
