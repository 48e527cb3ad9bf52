"""``ombud retention plan | run | status``: enforce the data map's retention rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from ombud.cli.common import cli_session, console, fail, is_tty
from ombud.clock import utcnow
from ombud.config import get_settings
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.errors import NotFound, OmbudError
from ombud.retention import overview, own, service

app = typer.Typer(
    help="Retention: delete or anonymise data when its period ends (the data map's rules and "
    "Ombud's own data, rules ombud.*)."
)

RULE = typer.Option(None, "--rule", help="Only this rule (its fides_key).")


def _datamap(path: Path | None) -> DataMap:
    if path is not None:
        try:
            return load_datamap(path)
        except OmbudError as exc:
            for line in exc.detail or []:
                console.print(str(line), highlight=False)
            raise fail(exc.message) from None
    with cli_session() as session:
        return datamap_service.get_current(session)


def _kept(row: dict[str, Any]) -> str:
    parts = [f"{n} held by {rule}" for rule, n in row["held"].items() if n]
    if row["held_by"]:
        parts.append(f"all held by {row['held_by']}")
    if row["still_referenced"]:
        parts.append(f"{row['still_referenced']} still referenced")
    if row["no_timestamp"]:
        parts.append(f"{row['no_timestamp']} without a timestamp")
    return "\n".join(parts) or "-"


@app.command("plan")
def plan(
    datamap: Path | None = typer.Option(
        None, "--datamap", help="Data map file or folder (default: the one applied to the store)."
    ),
    rule: str | None = RULE,
    output: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Dry run: per rule and collection, rows past their period, held, and to change."""
    if output not in ("table", "json"):
        raise fail("--format must be table or json")
    now = utcnow()
    rows: list[dict[str, Any]] = []
    try:
        if not own.is_own(rule):
            dm = _datamap(datamap)
            rows = [p.as_dict(now) for p in service.plan(dm, rule=rule, connections=_connections())]
        if datamap is None or own.is_own(rule):
            # Ombud's own data lives in the store: shown when the plan reads the store.
            with cli_session() as session:
                rows += own.plan_rows(session, rule=rule, settings=get_settings(), now=now)
    except OmbudError as exc:
        raise fail(exc.message) from None
    if output == "json":
        console.print_json(json.dumps(rows))
        return
    table = Table(title="Retention plan (nothing is changed)")
    for name in ("Rule", "Collection", "Period from", "Past period", "Kept", "Will", "Oldest"):
        table.add_column(name, overflow="fold")
    for row in rows:
        will = row["problem"] or f"{row['action']} {row['to_change']}"
        if row["masks"] and not row["problem"]:
            will += "\n" + "\n".join(row["masks"])
        oldest = f"{row['oldest_age_days']} days" if row["oldest_age_days"] is not None else "-"
        table.add_row(
            row["rule"],
            row["collection"],
            f"{row['counts_from']} + {row['period'] or '?'}",
            "-" if row["past_period"] is None else str(row["past_period"]),
            _kept(row),
            will,
            oldest,
        )
    console.print(table)


def _connections() -> dict[str, str]:
    return dict(get_settings().connections)


@app.command("run")
def run(
    rule: str | None = RULE,
    batch: int = typer.Option(
        service.DEFAULT_BATCH,
        "--batch",
        min=1,
        help="Most rows one statement changes; slices are also cut to about 75 ms each.",
    ),
) -> None:
    """Apply the rules: delete or anonymise expired rows in batches (resumable)."""
    with cli_session() as session:
        dm = datamap_service.get_current(session)
    bars: dict[str, TaskID] = {}
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
        disable=not is_tty(),
    ) as bar:  # fmt: skip

        def progress(collection: str, done: int, total: int) -> None:
            if collection not in bars:
                bars[collection] = bar.add_task(collection, total=total)
            bar.update(bars[collection], completed=done)

        try:
            outcomes = service.run(
                unit_of_work, dm, rule=rule, batch=batch, connections=_connections(),
                progress=progress,
            )  # fmt: skip
        except NotFound as exc:
            raise fail(exc.message) from None
    failed = False
    for outcome in outcomes:
        changed = ", ".join(f"{c}: {n}" for c, n in outcome.changed.items() if n) or "nothing"
        console.print(f"{outcome.rule}: {outcome.status} ({changed}) {outcome.error}".rstrip())
        failed = failed or outcome.status == "failed"
    if failed:
        raise typer.Exit(1)


@app.command("status")
def status() -> None:
    """When each rule last ran, what it changed, and whether a run is overdue."""
    with cli_session() as session:
        try:
            dm: DataMap | None = datamap_service.get_current(session)
        except NotFound:
            dm = None
        rows = overview.status(session, dm)
    table = Table(title="Retention status")
    for name in ("Rule", "Last run", "Status", "Changed", "Overdue"):
        table.add_column(name, overflow="fold")
    for row in rows:
        changed = ", ".join(f"{c}: {n}" for c, n in row["changed"].items()) or "-"
        table.add_row(
            row["rule"],
            row["last_run"] or "never",
            row["last_status"] or "-",
            changed,
            "yes"
            if row["overdue"]
            else ("no" if row["enforced"] else f"not enforced: {row['note']}"),
        )
    console.print(table)
