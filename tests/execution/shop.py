"""A small shop database and its Fides dataset, for execution tests on all three engines."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)

DATAMAP = Path(__file__).parent / "datamap"
URL_VAR = "OMBUD_TEST_SHOP_URL"

metadata = MetaData()
customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", String(200), nullable=False, unique=True),
    Column("name", String(100), nullable=True),
    Column("phone", String(40), nullable=True),
    Column("segment", String(20), nullable=True),
)
orders = Table(
    "orders",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("shipping_address", String(200), nullable=True),
    Column("total_cents", Integer, nullable=True),
)
invoices = Table(
    "invoices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("order_id", Integer, ForeignKey("orders.id"), nullable=False, index=True),
    Column("billing_name", String(100), nullable=True),
    Column("amount_cents", Integer, nullable=True),
    Column("issued_on", Date, nullable=True),
)
carts = Table(
    "carts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("note", String(200), nullable=True),
)
cart_items = Table(
    "cart_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("cart_id", Integer, ForeignKey("carts.id"), nullable=False, index=True),
    Column("product", String(100), nullable=True),
)
tickets = Table(
    "tickets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False, index=True),
    Column("body", Text, nullable=True),
)
newsletter = Table(
    "newsletter",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", String(200), nullable=False, index=True),
    Column("topic", String(50), nullable=True),
)
legacy_log = Table(
    "legacy_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("ip_address", String(50), nullable=True),
)

PEOPLE = 6
# Inside the ten years invoices are held, by the real clock and by ``frozen_clock``.
ISSUED = date(2025, 6, 1)


def email(n: int) -> str:
    """Email of person ``n``."""
    return f"person{n}@example.test"


def populate(engine: Engine, people: int = PEOPLE) -> None:
    """Create the tables and give every person two orders (each with an invoice), a cart with
    two items, a ticket and a newsletter subscription."""
    metadata.create_all(engine)
    rows: dict[Table, list[dict[str, Any]]] = {t: [] for t in metadata.sorted_tables}
    for n in range(1, people + 1):
        rows[customers].append(
            {
                "id": n,
                "email": email(n),
                "name": f"Person {n}",
                "phone": f"+4930{n:06d}",
                "segment": "retail",
            }
        )
        for k in range(2):
            oid = n * 10 + k
            rows[orders].append(
                {
                    "id": oid,
                    "customer_id": n,
                    "shipping_address": f"Street {n}/{k}",
                    "total_cents": 1000 + oid,
                }
            )
            rows[invoices].append(
                {
                    "id": oid,
                    "order_id": oid,
                    "billing_name": f"Person {n}",
                    "amount_cents": oid,
                    "issued_on": ISSUED,
                }
            )
            rows[cart_items].append({"id": n * 10 + k, "cart_id": n, "product": f"thing {k}"})
        rows[carts].append({"id": n, "customer_id": n, "note": f"gift for {n}"})
        rows[tickets].append({"id": n, "customer_id": n, "body": f"help me, I am {n}"})
        rows[newsletter].append({"id": n, "email": email(n), "topic": "news"})
        rows[legacy_log].append({"id": n, "ip_address": f"10.0.0.{n}"})
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            conn.execute(insert(table), rows[table])


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, ordered by id."""
    with engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]
            for t in metadata.sorted_tables
        }


def rows_of(snap: dict[str, list[dict[str, Any]]], n: int) -> dict[str, list[dict[str, Any]]]:
    """Person ``n``'s rows in a snapshot, by ``shop.<table>``."""
    order_ids = {o["id"] for o in snap["orders"] if o["customer_id"] == n}
    picks = {
        "customers": lambda r: r["id"] == n,
        "orders": lambda r: r["customer_id"] == n,
        "invoices": lambda r: r["order_id"] in order_ids,
        "carts": lambda r: r["customer_id"] == n,
        "cart_items": lambda r: r["cart_id"] == n,
        "tickets": lambda r: r["customer_id"] == n,
        "newsletter": lambda r: r["email"] == email(n),
    }
    return {f"shop.{t}": [r for r in snap[t] if pick(r)] for t, pick in picks.items()}
