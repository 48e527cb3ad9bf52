"""``ombud complaints``: list and show complaints, and their metrics."""

from __future__ import annotations

import json

import typer
from rich.markup import escape
from rich.table import Table

from ombud.cli.common import cli_session, console
from ombud.complaints import service

app = typer.Typer(help="Complaints people made about their data.", no_args_is_help=True)


@app.command("list")
def list_complaints(
    status: str | None = typer.Option(None, help="Only this status: open or answered."),
) -> None:
    """Open complaints (or one status), nearest deadline first."""
    with cli_session() as session:
        rows = service.listing(session, status=status)
        table = Table("reference", "about", "status", "jurisdiction", "due", "assignee", "flag")
        for c in rows:
            flag = "OVERDUE" if service.overdue(c) else ""
            table.add_row(
                c.reference, c.about, c.status, c.jurisdiction, str(c.due_on),
                c.assignee or "", flag,
            )  # fmt: skip
        console.print(table)
        console.print(f"{len(rows)} complaint(s)")


@app.command("show")
def show(complaint: str = typer.Argument(..., help="Complaint id or reference (C-...).")) -> None:
    """One complaint with its text, answer and notes."""
    with cli_session() as session:
        c = service.get(session, complaint)
        target = c.request_id or c.purpose or ""
        console.print(f"[bold]{c.reference}[/bold] ({c.id}) about {c.about} {target}".rstrip())
        console.print(f"{c.status}; received {c.received_at:%Y-%m-%d %H:%M} UTC, due {c.due_on}")
        # Typed by the person: shown as text, never as Rich markup.
        console.print(escape(c.text), highlight=False)
        if c.answer:
            console.print(escape(f"answered by {c.answered_by}: {c.answer}"), highlight=False)
        for n in service.notes(session, c.id):
            console.print(escape(f"note {n.created_at:%Y-%m-%d %H:%M} {n.author}: {n.text}"))


@app.command("metrics")
def metrics() -> None:
    """Complaints received, open, overdue, answered (late) and per subject, as JSON."""
    with cli_session() as session:
        typer.echo(json.dumps(service.metrics(session), indent=2))
