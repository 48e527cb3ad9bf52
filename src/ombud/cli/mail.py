"""``ombud mail``: send what the outbox holds, and see its state."""

from __future__ import annotations

import typer
from rich.table import Table

from ombud.cli.common import cli_session, console, fail
from ombud.config import get_settings
from ombud.db import get_engine
from ombud.errors import OmbudError
from ombud.outbox import repository
from ombud.outbox import service as outbox

app = typer.Typer(help="The mail outbox: letters wait here until sent.", no_args_is_help=True)


@app.command("send")
def send(limit: int = typer.Option(100, min=1, help="Messages claimed at a time.")) -> None:
    """Send every due message now (the server does this every housekeeping interval)."""
    try:
        report = outbox.drain(get_engine(), get_settings(), limit=limit)
    except OmbudError as exc:
        raise fail(exc.message) from None
    console.print(f"sent {report.sent}, to retry {report.retry}, given up {report.failed}")
    if report.retry or report.failed:
        raise typer.Exit(1)


@app.command("status")
def status() -> None:
    """How many messages are pending, being sent, sent and failed; the failed ones."""
    with cli_session() as session:
        counts = outbox.status(session)
        failed = repository.failed(session)
        table = Table("status", "messages")
        for name in ("pending", "sending", "sent", "failed"):
            table.add_row(name, str(counts.get(name, 0)))
        console.print(table)
        for row in failed:
            console.print(f"failed {row.id} ({row.subject}): {row.last_error}", highlight=False)
