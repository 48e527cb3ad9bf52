"""``ombud datamap``: validate, apply and report on the data map."""

from __future__ import annotations

import getpass
import os
from enum import StrEnum
from pathlib import Path

import typer

from ombud.cli.common import cli_session, console
from ombud.datamap import ropa, service
from ombud.datamap.loader import (
    DataMapInvalid,
    check_files,
    display_root,
    load_datamap,
    read,
    read_files,
)
from ombud.datamap.positions import Problem
from ombud.datamap.schemas import DataMap

app = typer.Typer(help="The data map: check it, apply it, write the ROPA.", no_args_is_help=True)


def _print_problems(exc: DataMapInvalid) -> typer.Exit:
    # Plain echo: Rich would wrap long lines and read "[0]" in locations as markup.
    for problem in exc.problems:
        typer.echo(str(problem))
    typer.echo(f"{len(exc.problems)} problem(s) found", err=True)
    return typer.Exit(1)


def _summary(datamap: DataMap) -> str:
    collections = sum(len(d.collections) for d in datamap.dataset)
    activities = sum(len(s.privacy_declarations) for s in datamap.system)
    return (
        f"{len(datamap.system)} systems ({activities} processing activities), "
        f"{len(datamap.dataset)} datasets ({collections} collections), "
        f"{len(datamap.recipient)} recipients, {len(datamap.retention)} retention rules, "
        f"{len(datamap.cookie)} cookies"
    )


@app.command("validate")
def validate(
    path: Path = typer.Argument(..., help="Data map file or folder of YAML files."),
    connections: bool = typer.Option(
        False,
        "--connections",
        help="Also read each table's columns from its database and report erasure strategies "
        "a column cannot take (NULL into NOT NULL, too long, wrong type).",
    ),
) -> None:
    """Check a data map; print every problem as file:line:column: message."""
    if not connections:
        try:
            datamap = load_datamap(path)
        except DataMapInvalid as exc:
            raise _print_problems(exc) from None
    else:
        # Imported here: plain validation needs no database drivers.
        from ombud.config import get_settings
        from ombud.execution.validation import connection_problems

        try:
            files = read_files(path)
        except DataMapInvalid as exc:
            raise _print_problems(exc) from None
        problems: list[Problem] = []
        try:
            datamap = check_files(files, root=display_root(path))
        except DataMapInvalid as exc:
            problems = list(exc.problems)
        parsed = read(files, root=display_root(path))
        # Every problem in one pass: the map's own, and (when its structure is sound, so that
        # what is checked is what was written) those only the databases show.
        if parsed.datamap is not None and not parsed.problems:
            datamap = parsed.datamap
            problems += connection_problems(datamap, parsed.index, get_settings().connections)
        if problems:
            ordered = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message))
            raise _print_problems(DataMapInvalid(ordered))
    checked = " (erasure strategies fit their columns)" if connections else ""
    typer.echo(
        f"{path}: valid data map of {datamap.organization.name}: {_summary(datamap)}{checked}"
    )


@app.command("apply")
def apply(
    path: Path = typer.Argument(..., help="Data map file or folder of YAML files."),
    author: str = typer.Option(
        "", help="Who applies this version (default: $USER).", show_default=False
    ),
) -> None:
    """Store the data map as a new immutable version (nothing happens if it is unchanged)."""
    who = author or os.environ.get("USER") or getpass.getuser()
    with cli_session() as session:
        try:
            version, created = service.apply(session, path=path, author=who)
        except DataMapInvalid as exc:
            raise _print_problems(exc) from None
        if created:
            console.print(
                f"applied data map version {version.number} ({version.content_hash[:12]}) "
                f"by {version.author}",
                highlight=False,
            )
        else:
            console.print(
                f"unchanged: version {version.number} is already current", highlight=False
            )


class RopaFormat(StrEnum):
    csv = "csv"
    html = "html"


@app.command("ropa")
def write_ropa(
    path: Path | None = typer.Argument(
        None, help="Data map file or folder (default: the applied version)."
    ),
    fmt: RopaFormat = typer.Option(RopaFormat.html, "--format", help="csv or html."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="File to write (default: stdout)."
    ),
) -> None:
    """Write the records of processing activities (GDPR Art. 30(1))."""
    if path is not None:
        try:
            datamap = load_datamap(path)
        except DataMapInvalid as exc:
            raise _print_problems(exc) from None
    else:
        with cli_session() as session:
            datamap = service.get_current(session)
    record = ropa.build_ropa(datamap)
    text = ropa.to_csv(record) if fmt is RopaFormat.csv else ropa.to_html(record)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        console.print(
            f"wrote {len(record.activities)} processing activities to {output}", highlight=False
        )
