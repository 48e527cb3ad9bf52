"""``ombud statement``: render, publish and list privacy statement versions; resend notices."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from ombud.cli.common import cli_session, console, err_console, fail
from ombud.config import get_settings
from ombud.notices import notify, service
from ombud.notices.render import standalone_html, with_meta

app = typer.Typer(help="The privacy statement: render, publish, versions.", no_args_is_help=True)


@app.command()
def render(
    format: str = typer.Option("html", "--format", help="html or md"),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
    datamap: Path | None = typer.Option(
        None, "--datamap", help="Render this data map file or folder instead of the one in force."
    ),
) -> None:
    """Render the statement from the data map (a draft; nothing is stored)."""
    if format not in ("html", "md"):
        raise fail(f"--format must be html or md, not '{format}'")
    settings = get_settings()
    with cli_session() as session:
        rendered = service.render_live(session, settings, path=datamap)
        if format == "md":
            text = with_meta(rendered.markdown, "Draft: not yet published")
        else:
            text = standalone_html(
                rendered.html,
                org_name=rendered.statement.org_name,
                meta="Draft: not yet published",
                base_url=settings.base_url,
            )
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")


def _deliver(number: int, org_name: str) -> None:
    settings = get_settings()
    report = notify.deliver(settings, version_number=number, org_name=org_name)
    console.print(f"notices: {report.sent} sent, {report.skipped} skipped (unsubscribed)")
    if report.failed:
        raise fail(
            f"{report.failed} notice(s) not sent: {report.error}. "
            f"Run 'ombud statement notify {number}' to retry them."
        )


@app.command()
def publish(
    material: bool = typer.Option(False, "--material", help="Email subscribers the change."),
    effective: str | None = typer.Option(None, "--effective", help="YYYY-MM-DD (default today)"),
    summary: str = typer.Option("", "--summary", help="What changed, in a sentence or two."),
) -> None:
    """Freeze the statement rendered from the data map in force as a new immutable version."""
    try:
        when = date.fromisoformat(effective) if effective else None
    except ValueError:
        raise fail(f"--effective must be a date like 2026-04-01, not '{effective}'") from None
    settings = get_settings()
    with cli_session() as session:
        result = service.publish(
            session,
            settings,
            actor=f"cli:{getpass.getuser()}",
            material=material,
            effective=when,
            summary=summary,
        )
        number, material_version = result.version.number, result.version.material
        org_name = service.org_name(session)
    if result.created:
        console.print(
            f"published version {number} (hash {result.version.content_hash[:12]}), "
            f"effective {result.version.effective_date.isoformat()}"
        )
    else:
        err_console.print(
            f"version {number} already has this content; resuming {result.pending} unsent notice(s)"
        )
    if material_version and result.pending:
        _deliver(number, org_name)


@app.command(name="notify")
def notify_command(
    number: int = typer.Argument(..., help="Version number."),
) -> None:
    """Send the change notices of a material version that are not sent yet."""
    settings = get_settings()
    with cli_session() as session:
        pending = service.prepare_notices(session, settings, number=number)
        org_name = service.org_name(session)
    console.print(f"version {number}: {pending} notice(s) to send")
    _deliver(number, org_name)


@app.command()
def versions() -> None:
    """List published versions."""
    with cli_session() as session:
        items = service.list_versions(session)
        table = Table("Version", "Effective", "Published", "Material", "Hash", "Summary")
        for v in items:
            table.add_row(
                str(v.number),
                v.effective_date.isoformat(),
                v.published_at.strftime("%Y-%m-%d %H:%M UTC"),
                "yes" if v.material else "no",
                v.content_hash[:12],
                v.summary,
            )
    if not items:
        console.print("no version published yet: run 'ombud statement publish'")
        return
    console.print(table)
