"""``ombud consent``: unsubscribe headers, suppression lists and purposes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ombud.cli.common import cli_session, console, err_console
from ombud.consent import preferences, service
from ombud.consent.purposes import get_purpose

app = typer.Typer(
    help="Consent ledger: purposes, unsubscribe headers, suppression lists.", no_args_is_help=True
)


@app.command("unsubscribe-headers")
def unsubscribe_headers(
    email: str = typer.Option(..., "--email", help="Recipient of the message."),
    purpose: str = typer.Option(..., "--purpose", help="Purpose key, e.g. newsletter."),
) -> None:
    """Print RFC 8058 List-Unsubscribe and List-Unsubscribe-Post headers for one recipient."""
    with cli_session() as session:
        get_purpose(session, purpose)
        headers = preferences.unsubscribe_headers(email=email, purpose=purpose)
    for name, value in headers.items():
        typer.echo(f"{name}: {value}")


@app.command("export-suppression")
def export_suppression(
    purpose: str = typer.Option(..., "--purpose", help="Purpose key, e.g. newsletter."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """Write the emails that must not be contacted for PURPOSE (refused or withdrawn), one per
    line; erased people are listed by their keyed hash as ``hmac-sha256:<hex>``."""
    lines: list[str] = []
    with cli_session() as session:
        for raw, digest, _decision in service.suppressed(session, purpose=purpose):
            lines.append(raw if raw else f"hmac-sha256:{digest}")
    text = "".join(line + "\n" for line in lines)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {len(lines)} identities to {output}", highlight=False)


@app.command("purposes")
def purposes() -> None:
    """List consentable purposes with their current notice version and hash."""
    with cli_session() as session:
        items = service.purposes(session)
    table = Table("key", "title", "kind", "double opt-in", "GPC", "notice", "sha256")
    for p in items:
        table.add_row(
            p.key,
            p.title,
            p.kind,
            "yes" if p.double_opt_in else "no",
            "yes" if p.gpc_applies else "no",
            f"v{p.notice_version}",
            p.notice_hash[:16],
        )
    console.print(table)
