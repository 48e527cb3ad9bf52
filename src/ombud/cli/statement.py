"""``ombud statement``: render, publish and list privacy statement versions; resend notices."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from ombud import i18n
from ombud.cli.common import cli_session, console, err_console, fail
from ombud.config import get_settings
from ombud.i18n import gettext as _
from ombud.notices import check as drift
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
    language: str = typer.Option(
        "en", "--language", "-l", help="Language of the statement (en, de; see docs/languages.md)."
    ),
) -> None:
    """Render the statement from the data map (a draft; nothing is stored)."""
    if format not in ("html", "md"):
        raise fail(f"--format must be html or md, not '{format}'")
    code = i18n.normalise(language)
    if code is None:
        raise fail(f"--language: no catalog for '{language}'; use {', '.join(i18n.available())}")
    settings = get_settings()
    with cli_session() as session:
        rendered = service.render_live(session, settings, path=datamap, language=code)
        with i18n.use(code):
            draft = _("Draft: not yet published")
        if format == "md":
            text = with_meta(rendered.markdown, draft)
        else:
            text = standalone_html(
                rendered.html,
                org_name=rendered.statement.org_name,
                meta=draft,
                base_url=settings.base_url,
                language=code,
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


@app.command()
def check() -> None:
    """Compare the published statement with what the data map renders now; exit 1 when out of
    date (sections changed, consent notices changed), listing missing translations too."""
    settings = get_settings()
    with cli_session() as session:
        report = drift.check(session, settings)
    if report.published is None:
        err_console.print("no version published yet: run 'ombud statement publish'")
    for change in report.changes:
        console.print(f"[{change.language}] {change.title}: {change.status}", markup=False)
    for language in report.languages_changed:
        console.print(
            f"[{language}] language added or removed since the published version", markup=False
        )
    for notice in report.consent_notices:
        console.print(f"consent notice: {notice}", markup=False)
    for language, strings in report.missing.items():
        console.print(f"[{language}] {len(strings)} missing translation(s):", markup=False)
        for item in strings:
            console.print(f"  - {item}", markup=False)
    console.print(report.summary())
    if not report.up_to_date:
        raise typer.Exit(1)


@app.command(name="notice-at-collection")
def notice_at_collection_command(
    language: str = typer.Option("en", "--language", "-l", help="Language of the notice."),
    datamap: Path | None = typer.Option(None, "--datamap", help="Use this data map instead."),
) -> None:
    """Print the notice at collection (CCPA § 7012) as HTML to place next to your forms."""
    code = i18n.normalise(language)
    if code is None:
        raise fail(f"--language: no catalog for '{language}'; use {', '.join(i18n.available())}")
    with cli_session() as session:
        typer.echo(service.notice_at_collection(session, path=datamap, language=code), nl=False)
