"""Execution commands: ``requests run|preview``, ``plan``, ``connections test``."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from ombud import heap
from ombud.cli.common import cli_session, console, fail, is_tty, server_settings
from ombud.config import get_settings
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import parse_files, read_files
from ombud.datamap.schemas import DataMap
from ombud.db import get_engine
from ombud.dsr import lookup
from ombud.errors import OmbudError
from ombud.execution import service, tasks
from ombud.execution.planner import Plan, build_plan

DATAMAP_OPTION = typer.Option(
    None, "--datamap", help="Data map file or folder (default: the one applied to the store)."
)


def _datamap(path: Path | None) -> DataMap:
    """The data map to plan with; a file is read for structure only, so that collections no
    identity reaches are reported here rather than refused."""
    if path is not None:
        try:
            return parse_files(read_files(path))
        except OmbudError as exc:
            for line in exc.detail or []:
                console.print(str(line), highlight=False)
            raise fail(exc.message) from None
    with cli_session() as session:
        return datamap_service.get_current(session)


class PlanFormat(StrEnum):
    """Output of ``ombud plan``."""

    table = "table"
    json = "json"


def _plan_steps(the_plan: Plan, request_type: str) -> list[dict[str, Any]]:
    """Each collection in the order a request of ``request_type`` handles it, as plain data."""
    order = the_plan.steps if request_type == "access" else the_plan.erase_order()
    out: list[dict[str, Any]] = []
    for step in order:
        leads_to = [
            s.name
            for s in the_plan.steps
            if any(
                (e.src.dataset, e.src.collection) == (step.dataset, step.collection)
                for e in s.incoming
            )
        ]
        line: dict[str, Any] = {
            "collection": step.name,
            "connection": step.connection,
            "identities": [{"field": f, "type": k} for f, k in step.identities.items()],
            "references": [{"from": str(e.src), "to": e.dst.field} for e in step.incoming],
            "leads_to": leads_to,
        }
        if request_type == "access":
            fields = [f.name for f in step.export_fields]
            line["action"] = "export" if fields else "none"
            line["fields"] = fields
        else:
            line["action"] = step.erasure_action()
            line["fields"] = {
                f.name: f.strategy.describe() for f in step.fields if f.erased and f.strategy
            }
            line["kept"] = [f.name for f in step.fields if f.hold and f.strategy]
        out.append(line)
    return out


def _action_text(line: dict[str, Any], short: Callable[[str], str]) -> str:
    if line["action"] == "export":
        return "export " + ", ".join(line["fields"])
    if line["action"] == "none" and isinstance(line["fields"], list):
        reach = ", ".join(short(n) for n in line["leads_to"])
        return "nothing exported (no personal field)" + (
            f"; read to reach {reach}" if reach else ""
        )
    text = str(line["action"])
    if line["action"] == "mask":
        text += "\n" + "\n".join(f"{f}: {how}" for f, how in line["fields"].items())
    if line.get("kept"):
        text += f"\nkept: {', '.join(line['kept'])}"
    return text


def plan(
    request_type: str = typer.Option(
        "access", "--request-type", help="access or erasure: what the plan shows per collection."
    ),
    datamap: Path | None = DATAMAP_OPTION,
    fmt: PlanFormat = typer.Option(
        PlanFormat.table, "--format", help="table (names wrap, never cut) or json."
    ),
) -> None:
    """Print the traversal plan: order, collection, identities, every reference into it, action."""
    if request_type not in ("access", "erasure"):
        raise fail("--request-type must be access or erasure")
    dm = _datamap(datamap)
    the_plan = build_plan(dm, connections=get_settings().connections)
    lines = _plan_steps(the_plan, request_type)
    if fmt is PlanFormat.json:
        document = {
            "request_type": request_type,
            "steps": lines,
            "unreachable": the_plan.unreachable_dicts(),
        }
        typer.echo(json.dumps(document, indent=2))
        return
    datasets = {step.dataset for step in the_plan.steps}
    # One dataset (the usual case): name it once in the title, and collections without it.
    single = next(iter(datasets)) if len(datasets) == 1 else None
    prefix = f"{single}." if single else ""

    def short(name: str) -> str:
        return name.removeprefix(prefix)

    title = f"Plan for {request_type} requests" + (f" in dataset {single}" if single else "")
    table = Table(title=title, show_lines=True)
    table.add_column("#", justify="right")
    # Names wrap inside their cell ("fold") rather than being cut off with an ellipsis.
    for column in ("Collection", "Reached from", "Via reference", "Action"):
        table.add_column(column, overflow="fold")
    for i, line in enumerate(lines, 1):
        identities = ", ".join(f"{x['type']} ({x['field']})" for x in line["identities"])
        via = "\n".join(f"{short(r['from'])} → {r['to']}" for r in line["references"])
        table.add_row(
            str(i),
            short(line["collection"]),
            identities or "-",
            via or "-",
            _action_text(line, short),
        )
    console.print(table)
    if the_plan.unreachable:
        console.print("[yellow]Personal data no identity reaches (not searched):[/yellow]")
        for ds, coll, reason in the_plan.unreachable:
            console.print(f"  {ds}.{coll}: {reason}", highlight=False, soft_wrap=True)


connections_app = typer.Typer(help="Target database connections.", no_args_is_help=True)


@connections_app.command("test")
def connections_test(name: str, datamap: Path | None = DATAMAP_OPTION) -> None:
    """Connect to a named connection, print the server version, and check that the erasure
    strategies of the data map fit the columns of its tables (exit 1 if one does not)."""
    dm = _datamap(datamap) if datamap is not None else None
    with cli_session() as session:
        version, problems = service.check_connection(
            session, name, settings=get_settings(), datamap=dm
        )
    console.print(f"[green]ok[/green] {name}: {version}", highlight=False)
    for problem in problems:
        console.print(f"[red]cannot erase[/red] {problem}", highlight=False, soft_wrap=True)
    if problems:
        raise fail(
            f"{len(problems)} erasure strateg{'y' if len(problems) == 1 else 'ies'} "
            "cannot be written to their columns; erasure requests would be refused"
        )


def run(
    ids: list[str] | None = typer.Argument(
        None,
        help="Request ids or their first characters (default: every approved or abandoned "
        "request).",
    ),
    batch: int = typer.Option(100, "--batch", min=1, help="Requests per batch."),
    datamap: Path | None = DATAMAP_OPTION,
) -> None:
    """Execute approved requests (failed ones by id) with a progress bar."""
    settings = server_settings()
    dm = _datamap(datamap) if datamap is not None else None
    if ids:
        with cli_session() as session:
            ids = [lookup.resolve_id(session, given) for given in ids]
    engine = get_engine()
    reports: list[tasks.RunReport] = []
    # The bar counts requests, so it knows its total before the first one runs.
    total = len(ids) if ids else len(tasks.runnable_ids(engine, limit=1_000_000))
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console,
        disable=not is_tty(),
    ) as bar:  # fmt: skip
        task = bar.add_task("requests", total=total)

        def tick(name: str) -> None:
            bar.update(task, description=f"requests ({name})")

        def done(chunk: list[tasks.RunReport]) -> list[tasks.RunReport]:
            bar.update(task, advance=len(chunk))
            return chunk

        try:
            # A long queue costs what a server's batches cost: the same heap (ombud.heap).
            with heap.settled():
                if ids:
                    for start in range(0, len(ids), batch):
                        chunk = ids[start : start + batch]
                        reports += done(
                            tasks.run_requests(
                                engine, chunk, settings=settings, datamap=dm, progress=tick
                            )
                        )
                else:
                    started: list[int] = []

                    def on_batch(chunk: list[str]) -> None:
                        # A batch starts: the previous one is done.
                        if started:
                            bar.update(task, advance=started.pop())
                        started.append(len(chunk))
                        if bar.tasks[0].completed + len(chunk) > total:
                            bar.update(task, total=bar.tasks[0].completed + len(chunk))

                    reports = tasks.run_pending(
                        engine,
                        settings=settings,
                        batch=batch,
                        datamap=dm,
                        progress=tick,
                        on_batch=on_batch,
                    )
                    bar.update(task, completed=len(reports))
        except OmbudError as exc:
            raise fail(exc.message) from None
    for report in reports:
        colour = {"completed": "green", "failed": "red"}.get(report.status, "yellow")
        console.print(
            f"[{colour}]{report.status}[/{colour}] {report.request_id} {report.message}",
            highlight=False,
            soft_wrap=True,
        )
    if not reports:
        console.print("nothing to run")
    if any(r.status == "failed" for r in reports):
        raise typer.Exit(1)


def preview(request_id: str, datamap: Path | None = DATAMAP_OPTION) -> None:
    """Dry run: list the rows and fields that would be exported or changed; changes nothing."""
    dm = _datamap(datamap) if datamap is not None else None
    with cli_session() as session:
        result = service.preview(
            session, lookup.resolve_id(session, request_id), settings=get_settings(), datamap=dm
        )
    table = Table(title=f"Preview of {result.type} request {result.request_id} (nothing changed)")
    for column in ("Collection", "Action", "Rows", "Keys", "Fields", "Kept"):
        table.add_column(column)
    for line in result.lines:
        keys = ", ".join(str(k) for k in line["keys"][:10]) + (" ..." if line["rows"] > 10 else "")
        table.add_row(
            line["collection"],
            line["action"],
            str(line["rows"]),
            f"{line['key']}: {keys}" if keys else "-",
            ", ".join(line["fields"]) or "-",
            ", ".join(line["kept"]) or "-",
        )
    console.print(table)
    _print_corrections(result.lines)
    for item in result.plan.unreachable_dicts():
        console.print(f"[yellow]not searched:[/yellow] {item['collection']}: {item['reason']}")
    for problem in result.unwritable:
        console.print(f"[red]would be refused:[/red] {problem}", highlight=False, soft_wrap=True)


def _print_corrections(lines: list[dict[str, Any]]) -> None:
    """Rectification: every value that would change (old -> new) and what is left, and why."""
    changes = [(line["collection"], c) for line in lines for c in line.get("changes", [])]
    if changes:
        table = Table(title="Values that would change")
        for column in ("Collection", "Key", "Field", "Old", "New"):
            table.add_column(column, overflow="fold")
        for name, c in changes:
            table.add_row(name, str(c["key"]), c["field"], repr(c["old"]), repr(c["new"]))
        console.print(table)
    for line in lines:
        for item in line.get("not_changed", []):
            console.print(
                f"[yellow]not changed:[/yellow] {item['collection']}.{item['field']} "
                f"({item['rows']} row(s)): {item['reason']}",
                highlight=False,
                soft_wrap=True,
            )


def register(root: typer.Typer, requests_app: typer.Typer) -> None:
    """Add execution commands to the root and ``requests`` groups."""
    root.command("plan")(plan)
    root.add_typer(connections_app, name="connections")
    requests_app.command("run")(run)
    requests_app.command("preview")(preview)
