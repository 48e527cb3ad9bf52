"""Alembic environment: runs migrations against the configured URL."""

from __future__ import annotations

from alembic import context

from ombud.db import make_engine
from ombud.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    """Run migrations online with a connection of our own engine."""
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(
            connection=connectable, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
