"""The demo company's application database (Postlicht Mail): table definitions.

This is the *company's* database that Ombud finds people in, not Ombud's own store. It matches
the dataset ``postlicht_app`` in ``demo/datamap/dataset.yaml`` column for column. Portable across
SQLite, PostgreSQL and MariaDB: integer primary keys assigned by the generator (no sequences, so
bulk loads are deterministic), real foreign keys, indexes on identity and reference columns.
Timestamps are naive UTC, as most applications store them.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
)

DATASET_KEY = "postlicht_app"
CONNECTION_NAME = "app_db"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _pk() -> Column[int]:
    # Ids are assigned by the loader: no SERIAL/AUTO_INCREMENT whose counter would lag behind.
    return Column("id", Integer, primary_key=True, autoincrement=False)


accounts = Table(
    "accounts",
    metadata,
    _pk(),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("phone", String(32), nullable=True, index=True),
    Column("country", String(2), nullable=False),
    Column("language", String(8), nullable=False),
    Column("plan", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("password_hash", String(128), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("last_login_at", DateTime(), nullable=True),
    Column("closed_at", DateTime(), nullable=True),
    # Set while the account holder has restricted processing (GDPR Art. 18).
    Column("processing_restricted", Boolean(), nullable=False, server_default=false()),
)

mailboxes = Table(
    "mailboxes",
    metadata,
    _pk(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("address", String(320), nullable=False, unique=True),
    Column("display_name", String(200), nullable=True),
    Column("quota_mb", Integer, nullable=False),
    Column("created_at", DateTime(), nullable=False),
)

login_events = Table(
    "login_events",
    metadata,
    _pk(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("ip_address", String(45), nullable=True),
    Column("user_agent", String(300), nullable=True),
    Column("success", Boolean, nullable=False),
    Column("at", DateTime(), nullable=False),
)

support_tickets = Table(
    "support_tickets",
    metadata,
    _pk(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("closed_at", DateTime(), nullable=True),
)

ticket_messages = Table(
    "ticket_messages",
    metadata,
    _pk(),
    Column("ticket_id", Integer, ForeignKey("support_tickets.id"), nullable=False, index=True),
    Column("author", String(16), nullable=False),
    Column("body", Text, nullable=True),
    Column("created_at", DateTime(), nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    _pk(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("number", String(32), nullable=False, unique=True),
    Column("billing_name", String(200), nullable=True),
    Column("billing_address", String(400), nullable=True),
    Column("vat_id", String(32), nullable=True),
    Column("amount_cents", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("issued_on", Date, nullable=False),
)

payment_methods = Table(
    "payment_methods",
    metadata,
    _pk(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False, index=True),
    Column("provider_ref", String(64), nullable=True),
    Column("card_brand", String(16), nullable=True),
    Column("card_last4", String(4), nullable=True),
    Column("expiry", String(7), nullable=True),
    Column("created_at", DateTime(), nullable=False),
)

marketing_contacts = Table(
    "marketing_contacts",
    metadata,
    _pk(),
    Column("email", String(320), nullable=False, unique=True),
    Column("first_name", String(100), nullable=True),
    Column("source", String(32), nullable=False),
    Column("subscribed_at", DateTime(), nullable=False),
    Column("unsubscribed_at", DateTime(), nullable=True),
)

analytics_events = Table(
    "analytics_events",
    metadata,
    _pk(),
    Column("device_id", String(36), nullable=False, index=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True, index=True),
    Column("path", String(300), nullable=False),
    Column("referrer", String(300), nullable=True),
    Column("ip_truncated", String(45), nullable=True),
    Column("user_agent", String(300), nullable=True),
    Column("at", DateTime(), nullable=False),
)

# Retention sweeps by time; an index keeps them from scanning the biggest tables.
Index("ix_login_events_at", login_events.c.at)
Index("ix_analytics_events_at", analytics_events.c.at)

# Parents first: insert in this order, delete in reverse.
TABLE_ORDER: tuple[str, ...] = (
    "accounts",
    "mailboxes",
    "login_events",
    "support_tickets",
    "ticket_messages",
    "invoices",
    "payment_methods",
    "marketing_contacts",
    "analytics_events",
)

TABLES: dict[str, Table] = {name: metadata.tables[name] for name in TABLE_ORDER}


def create_schema(engine: Engine) -> None:
    """Create every table and index of the demo application database (if missing)."""
    metadata.create_all(engine)


def drop_schema(engine: Engine) -> None:
    """Drop every table of the demo application database (children first)."""
    metadata.drop_all(engine)
