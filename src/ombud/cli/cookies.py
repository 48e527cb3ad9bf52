"""``ombud cookies scan URL``: check a website's cookies against the data map (exit 1 on a
violation, for a company's CI)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from ombud.cli.common import cli_session, console, fail
from ombud.consent import cookies as own_cookies
from ombud.consent import scan as scanner
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import DataMap

app = typer.Typer(help="Cookies on the company's website.", no_args_is_help=True)


def _datamap(path: Path | None) -> DataMap:
    if path is not None:
        return load_datamap(path)
    with cli_session() as session:
        return datamap_service.get_current(session)


@app.command()
def scan(
    url: str = typer.Argument(..., help="Page to check, e.g. https://www.example.com/"),
    datamap: Path | None = typer.Option(
        None, "--datamap", help="Compare with this data map file or folder, not the one in force."
    ),
    accept: str = typer.Option(scanner.ACCEPT, "--accept", help="CSS selector of 'accept all'."),
    reject: str = typer.Option(scanner.REJECT, "--reject", help="CSS selector of 'reject all'."),
    chromium: str = typer.Option(scanner.CHROMIUM, "--chromium", help="Chromium executable."),
    wait_ms: int = typer.Option(1500, "--wait-ms", help="Wait after each load for late tags."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Load URL with no consent, after accepting all and after rejecting all; list every
    cookie and storage key and report undeclared ones, ones set without consent and declared
    ones never seen. Exit code 1 on a violation."""
    if not url.startswith(("http://", "https://")):
        raise fail(f"URL: '{url}' must start with http:// or https://", code=2)
    dm = _datamap(datamap)
    declared = own_cookies.with_own_cookies(list(dm.cookie), dm.organization.name)
    own = {c.name for c in own_cookies.OWN_COOKIES}
    try:
        report = scanner.scan(
            url, declared, own, chromium=chromium, accept=accept, reject=reject, wait_ms=wait_ms
        )
    except scanner.ScanError as exc:
        raise fail(str(exc), code=2) from None
    if as_json:
        typer.echo(json.dumps(_as_dict(report), indent=2))
    else:
        _print(report)
    if report.violations:
        raise typer.Exit(1)


def _as_dict(report: scanner.Report) -> dict[str, object]:
    def item(f: scanner.Found) -> dict[str, object]:
        d = asdict(f)
        d["declared"] = f.declared.category.value if f.declared else None
        return d

    return {
        "url": report.url,
        "violations": report.violations,
        "found": [item(f) for f in report.found],
        "undeclared": [f.name for f in report.undeclared],
        "before_consent": [f.name for f in report.before_consent],
        "after_reject": [f.name for f in report.after_reject],
        "never_seen": [c.name for c in report.never_seen],
    }


def _print(report: scanner.Report) -> None:
    table = Table(title=f"Cookies and storage on {report.url}")
    for col in ("Name", "Kind", "Domain", "Set by", "Lifetime", "Seen", "Declared as"):
        table.add_column(col)
    for f in report.found:
        declared = f.declared.category.value if f.declared else "[red]not declared[/red]"
        table.add_row(f.name, f.kind, f.domain, f.set_by, f.lifetime, ", ".join(f.runs), declared)
    console.print(table)
    for title, items in (
        ("Not declared in the data map", report.undeclared),
        ("Set before consent", report.before_consent),
        ("Set after 'reject all'", report.after_reject),
    ):
        if items:
            console.print(f"[red]✗ {title}:[/red] {', '.join(f.name for f in items)}")
    if report.never_seen:
        names = ", ".join(c.name for c in report.never_seen)
        console.print(f"[yellow]! Declared but never seen (stale?):[/yellow] {names}")
    if report.violations:
        console.print(f"[red]{report.violations} violation(s)[/red]")
    else:
        console.print("[green]✓ every cookie is declared and none is set without consent[/green]")
