"""``ombud db``: create or upgrade Ombud's own store."""

from __future__ import annotations

import typer
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError

from ombud.cli.common import console, fail
from ombud.config import get_settings
from ombud.db import make_engine
from ombud.migrations import upgrade as run_upgrade

app = typer.Typer(help="Ombud's own store (OMBUD_DATABASE_URL).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("heads", help="Target revision.")) -> None:
    """Create or migrate the store's tables to the latest version."""
    url = get_settings().database_url
    try:
        created = not _has_tables(url)
        run_upgrade(url, revision)
    except OperationalError as exc:
        raise fail(f"cannot reach the store at {url}: {exc.orig}") from None
    if created:
        console.print(f"created a new store at [bold]{url}[/bold]; its tables are up to date")
    else:
        console.print(f"store at [bold]{url}[/bold] is up to date")


def _has_tables(url: str) -> bool:
    """True when the store was migrated before (it has Alembic's version table)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table("alembic_version")
    finally:
        engine.dispose()
