"""``ombud audit``: check the hash chain, show what happened to a subject."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ombud.audit import repository, service
from ombud.cli.common import cli_session, console, fail

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Walk the chain; exit 1 naming the first entry that was edited, deleted or reordered."""
    with cli_session() as session:
        result = service.verify(session)
    if not result.ok:
        where = f"entry #{result.broken_seq}"
        if result.broken_id is not None:
            where += f" (row id {result.broken_id})"
        raise fail(
            f"audit log is broken at {where}: {result.reason}; "
            f"{result.checked} entries before it are intact"
        )
    console.print(f"audit log intact: {result.checked} entries verified")


@app.command("show")
def show(
    subject: str = typer.Option(..., "--subject", help="Subject id, e.g. a request id."),
    subject_type: str = typer.Option("privacy_request", help="Kind of subject."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """Every entry about one subject, oldest first."""
    with cli_session() as session:
        entries = repository.for_subject(session, subject_type=subject_type, subject_id=subject)
        if as_json:
            for e in entries:
                typer.echo(
                    json.dumps(
                        {
                            "seq": e.seq,
                            "at": e.at.isoformat(),
                            "actor": e.actor,
                            "action": e.action,
                            "data": e.data,
                        }
                    )
                )
            return
        table = Table("#", "at (UTC)", "actor", "action", "data")
        for e in entries:
            table.add_row(
                str(e.seq),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.action,
                json.dumps(e.data, sort_keys=True, default=str),
            )
        console.print(table)
        console.print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
