"""``ombud requests``: list and show requests, purge old ones and expired packages, metrics;
the decisions are in ``decisions``."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from ombud.cli.common import cli_session, console, fail
from ombud.clock import utcnow
from ombud.config import get_settings
from ombud.dsr import lookup, records, service
from ombud.execution import downloads
from ombud.notify import repository as notify_repository

app = typer.Typer(help="Data subject requests.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command("list")
def list_requests(
    status: str | None = typer.Option(None, help="Only this status (default: all open)."),
    all_: bool = typer.Option(False, "--all", help="Closed requests too (not purged ones)."),
) -> None:
    """The queue: open requests, nearest deadline first."""
    with cli_session() as session:
        items = service.queue(session, status=status, include_closed=all_)
        assignees = _assignees(session, items)
        table = Table("id", "type", "status", "jurisdiction", "deadline", "flag", "assigned")
        table.columns[0].no_wrap = True
        for item in items:
            r = item.request
            flag = "OVERDUE" if item.overdue else ("due soon" if item.due_soon else "")
            table.add_row(
                lookup.short_id(r.id),
                r.type,
                r.status,
                r.jurisdiction,
                str(item.deadline or ""),
                flag,
                assignees.get(r.assignee_id or "", ""),
            )
        console.print(table)
        console.print(
            f"{len(items)} request(s); ids shortened to their first {lookup.SHORT} characters, "
            "which every command takes"
        )


@app.command("show")
def show(
    request_id: str = typer.Argument(..., help="Request id, or its first characters."),
) -> None:
    """One request with its identities, hints (unverified identities), letters and notes."""
    with cli_session() as session:
        r = service.get(session, lookup.resolve_id(session, request_id))
        item = service.flags(r)
        console.print(f"[bold]{r.id}[/bold] {r.type} ({r.jurisdiction}) is {r.status}")
        console.print(f"received {r.received_at:%Y-%m-%d %H:%M} UTC via {r.source}")
        console.print(_deadline_line(item))
        assignee = _assignees(session, [item]).get(r.assignee_id or "", "nobody")
        console.print(f"assigned to {assignee}", highlight=False)
        approvals = ", ".join(a["by"] for a in r.approvals) or "none yet"
        console.print(
            f"approval rule {r.approval_policy} ({r.approval_rule or 'default'}); "
            f"approved by: {approvals}",
            highlight=False,
        )
        if r.denial_reason:
            console.print(escape(f"denied: {r.denial_reason}"))
        searched = ", ".join(f"{k}={v}" for k, v in sorted(r.identities.items())) or "none yet"
        console.print(f"searches with (verified): {escape(searched)}")
        for h in r.identity_hints:
            # Typed by the requester: shown as text, never as Rich markup.
            decided = f" by {h['decided_by']}: {h.get('reason', '')}" if h.get("decided_by") else ""
            console.print(
                escape(
                    f"hint {h['id']} {h['type']}={h['value']} ({h['format']}, from "
                    f"{h['source']}) {h['status']}{decided}"
                )
            )
        if r.agent:
            permission = "attached" if r.agent_permission else "NOT attached yet"
            console.print(
                escape(f"agent {r.agent.get('name')} ({r.agent.get('contact')}); permission ")
                + permission
            )
        for m in service.messages(session, r.id):
            console.print(f"letter {m.sent_at:%Y-%m-%d %H:%M} {m.kind}: {m.subject}")
        for n in service.notes(session, r.id):
            console.print(escape(f"note {n.created_at:%Y-%m-%d %H:%M} {n.author}: {n.text}"))


def _deadline_line(item: service.QueueItem) -> str:
    """The deadline in words; never a bare None."""
    r = item.request
    if item.deadline is None:
        return "no deadline"
    if r.extended_due_on is not None:
        return f"deadline {r.extended_due_on} (extended from {r.due_on})"
    flag = " OVERDUE" if item.overdue else (" due soon" if item.due_soon else "")
    return f"deadline {item.deadline}{flag}"


def _assignees(session: Session, items: list[service.QueueItem]) -> dict[str, str]:
    """Staff user id -> email for the assigned requests among ``items``."""
    ids = sorted({i.request.assignee_id for i in items if i.request.assignee_id})
    return {u.id: u.email for u in notify_repository.users_by_ids(session, ids)}


@app.command("purge")
def purge(
    months: int = typer.Option(
        records.KEEP_MONTHS, min=1, help="Keep closed requests this many months."
    ),
) -> None:
    """Remove identities of requests closed longer ago than the retention period; keep counts."""
    with cli_session() as session:
        count = records.purge(session, months=months)
    console.print(f"purged {count} request(s) closed more than {months} months ago")


@app.command("purge-packages")
def purge_packages() -> None:
    """Delete access packages whose link expired (the server also does this in the background)."""
    with cli_session() as session:
        count = downloads.purge_expired(session, get_settings())
    console.print(f"deleted {count} expired access package(s)")


@app.command("metrics")
def metrics(
    year: int = typer.Option(
        None,
        min=2000,
        max=9999,
        show_default=False,
        help="Calendar year of receipt (default: this year).",
    ),
    format: Format = typer.Option(Format.table, "--format", help="table, csv or json."),
) -> None:
    """Per type: received, complied with in whole or part, denied, median and mean days."""
    year = year or utcnow().year
    with cli_session() as session:
        rows = [m.as_dict() for m in records.metrics(session, year=year)]
    if not rows:
        raise fail("no request types are known")
    if format is Format.json:
        typer.echo(json.dumps({"year": year, "types": rows}, indent=2))
    elif format is Format.csv:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buf.getvalue(), nl=False)
    else:
        table = Table(*rows[0].keys(), title=f"Requests received in {year}")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row.values()))
        console.print(table)
