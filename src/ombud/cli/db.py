"""``ombud db``: create or upgrade Ombud's own store."""

from __future__ import annotations

import typer
from sqlalchemy.exc import OperationalError

from ombud.cli.common import console, fail
from ombud.config import get_settings
from ombud.migrations import upgrade as run_upgrade

app = typer.Typer(help="Ombud's own store (OMBUD_DATABASE_URL).", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("heads", help="Target revision.")) -> None:
    """Create or migrate the store's tables to the latest version."""
    url = get_settings().database_url
    try:
        run_upgrade(url, revision)
    except OperationalError as exc:
        raise fail(f"cannot reach the store at {url}: {exc.orig}") from None
    console.print(f"store at [bold]{url}[/bold] is up to date")
