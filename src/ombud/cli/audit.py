"""``ombud audit``: check the keyed chain (against checkpoints), write checkpoints, show what
happened to a subject."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ombud.audit import checkpoint, repository, service
from ombud.cli.common import cli_session, console, fail, load_settings, server_settings
from ombud.datamap import service as datamap_service
from ombud.mail import send_mail

app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def verify(
    checkpoint_file: Path | None = typer.Option(
        None,
        "--checkpoint",
        metavar="FILE",
        help="Also compare with the checkpoints in FILE (from 'ombud audit checkpoint'): finds "
        "a truncated tail, an emptied table and a rewrite up to a checkpoint.",
    ),
) -> None:
    """Walk the chain; exit 1 naming the first entry that was edited, deleted, reordered or
    forged, or the checkpoint the log no longer matches."""
    settings = load_settings()
    with cli_session() as session:
        anchors = checkpoint.read(checkpoint_file, settings) if checkpoint_file else []
        result = service.verify(session, settings)
        disagreement = checkpoint.compare(session, result, anchors) if result.ok else ""
    if not result.ok:
        where = f"entry #{result.broken_seq}"
        if result.broken_id is not None:
            where += f" (row id {result.broken_id})"
        raise fail(
            f"audit log is broken at {where}: {result.reason}; "
            f"{result.checked} entries before it are intact"
        )
    if disagreement:
        raise fail(f"audit log does not match its checkpoint: {disagreement}")
    anchored = f", matching {len(anchors)} checkpoint(s)" if anchors else ""
    console.print(f"audit log intact: {result.checked} entries verified{anchored}")


@app.command("checkpoint")
def make_checkpoint(
    out: Path | None = typer.Option(
        None, "--out", metavar="FILE", help="Append the checkpoint to FILE (created 0600)."
    ),
    mail: str | None = typer.Option(
        None, "--mail", metavar="ADDRESS", help="Mail the checkpoint to ADDRESS."
    ),
    mail_dpo: bool = typer.Option(
        False, "--mail-dpo", help="Mail it to the DPO named in the data map in force."
    ),
) -> None:
    """Write the signed head of the chain (entry number and hash) outside the store: to
    stdout (default, for a log shipper), a file and/or mail. Run it daily (cron)."""
    settings = server_settings()
    with cli_session() as session:
        cp = checkpoint.make(session, settings)
        recipients = [mail] if mail else []
        if mail_dpo:
            dpo = datamap_service.get_current(session).organization.dpo
            if dpo is None or not dpo.email:
                raise fail("the data map in force names no DPO email (organization.dpo.email)")
            recipients.append(dpo.email)
    if out is not None:
        checkpoint.append_to_file(out, cp)
        console.print(f"checkpoint of entry #{cp.seq} appended to {out}")
    for to in recipients:
        send_mail(
            settings,
            to=to,
            subject=f"Ombud audit checkpoint: entry #{cp.seq}",
            text="Keep this line outside Ombud; 'ombud audit verify --checkpoint FILE' "
            f"compares the log with it.\n\n{cp.line()}\n",
        )
        console.print(f"checkpoint of entry #{cp.seq} mailed to {to}")
    if out is None and not recipients:
        typer.echo(cp.line())


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
