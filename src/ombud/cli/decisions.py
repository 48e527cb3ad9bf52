"""``ombud requests approve|deny|extend|cancel|note|assign|create|import``: every decision the
staff console offers, for scripts; the same services as the API."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from sqlalchemy.orm import Session

from ombud.cli.common import cli_session, console, fail
from ombud.dsr import imports, lookup, queue, service
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.errors import Forbidden, NotFound
from ombud.models.requests import PrivacyRequest
from ombud.models.staff import ROLE_RANK, Role
from ombud.staff import repository as staff_repository

ID_HELP = "Request id, or its first characters as the list shows them."
AS_HELP = (
    "Act as this staff member (privacy officer or admin); recorded in the audit log. "
    "Default: cli:LOGIN. A two-approval rule needs two different staff members."
)


def _as_option() -> Any:
    return typer.Option(None, "--as", envvar="OMBUD_STAFF_EMAIL", metavar="EMAIL", help=AS_HELP)


def _actor(session: Session, email: str | None) -> str:
    """The staff member's email, checked, or cli:LOGIN."""
    if not email:
        return f"cli:{getpass.getuser()}"
    user = staff_repository.get_user_by_email(session, email.strip().lower())
    if user is None or not user.active:
        raise NotFound(f"no active staff user with email {email} (see `ombud users create`)")
    if ROLE_RANK[Role(user.role)] < ROLE_RANK[Role.privacy_officer]:
        raise Forbidden(f"{user.email} is a {user.role}; deciding requests needs privacy_officer")
    return user.email


def _said(row: PrivacyRequest, what: str) -> None:
    console.print(f"request {row.id} {what}; it is now {row.status}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the decision commands to ``ombud requests``."""

    @app.command("approve")
    def approve(
        request_id: str = typer.Argument(..., help=ID_HELP),
        note: str = typer.Option("", help="Internal note kept with the approval."),
        as_: str | None = _as_option(),
    ) -> None:
        """Approve a verified request so execution carries it out."""
        with cli_session() as session:
            row = service.approve(
                session,
                lookup.resolve_id(session, request_id),
                actor=_actor(session, as_),
                note=note,
            )
            if row.status == "verified":
                console.print(
                    f"approval {len(row.approvals)} of 2 recorded for request {row.id}; "
                    f"its rule ({row.approval_rule}) needs another staff member",
                    highlight=False,
                )
            else:
                _said(row, "approved")

    @app.command("deny")
    def deny(
        request_id: str = typer.Argument(..., help=ID_HELP),
        reason: str = typer.Option(..., help="Why; the person is told, with their rights."),
        as_: str | None = _as_option(),
    ) -> None:
        """Refuse a request; the letter gives the reason and the right to complain."""
        with cli_session() as session:
            row = service.deny(
                session,
                lookup.resolve_id(session, request_id),
                actor=_actor(session, as_),
                reason=reason,
            )
            _said(row, "denied")

    @app.command("extend")
    def extend(
        request_id: str = typer.Argument(..., help=ID_HELP),
        reason: str = typer.Option(..., help="Why more time is needed; the person is told."),
        as_: str | None = _as_option(),
    ) -> None:
        """Extend the deadline once, before the first deadline passes."""
        with cli_session() as session:
            row = service.extend(
                session,
                lookup.resolve_id(session, request_id),
                actor=_actor(session, as_),
                reason=reason,
            )
            console.print(
                f"request {row.id} now due {row.extended_due_on} (was {row.due_on})",
                highlight=False,
            )

    @app.command("cancel")
    def cancel(
        request_id: str = typer.Argument(..., help=ID_HELP),
        reason: str = typer.Option(..., help="Why (kept as a note)."),
        as_: str | None = _as_option(),
    ) -> None:
        """Cancel a request the person withdrew."""
        with cli_session() as session:
            row = service.cancel(
                session,
                lookup.resolve_id(session, request_id),
                actor=_actor(session, as_),
                reason=reason,
            )
            _said(row, "cancelled")

    @app.command("note")
    def note(
        request_id: str = typer.Argument(..., help=ID_HELP),
        text: str = typer.Argument(..., help="The note; never sent to the person."),
        as_: str | None = _as_option(),
    ) -> None:
        """Keep an internal note with a request."""
        with cli_session() as session:
            found = lookup.resolve_id(session, request_id)
            service.add_note(session, found, actor=_actor(session, as_), text=text)
            console.print(f"note added to request {found}", highlight=False)

    @app.command("assign")
    def assign(
        request_id: str = typer.Argument(..., help=ID_HELP),
        email: str = typer.Argument(
            "", help="Staff member to assign (privacy officer or admin); empty: unassign."
        ),
        as_: str | None = _as_option(),
    ) -> None:
        """Assign a request to a staff member, who then gets its mail."""
        with cli_session() as session:
            row = queue.assign(
                session,
                lookup.resolve_id(session, request_id),
                assignee=email or None,
                actor=_actor(session, as_),
            )
            who = email.strip().lower() if row.assignee_id else "nobody"
            console.print(f"request {row.id} is assigned to {who}", highlight=False)

    @app.command("create")
    def create(
        type_: str = typer.Option(..., "--type", help="access, erasure, rectification, ..."),
        email: str = typer.Option(..., help="The person's email address."),
        jurisdiction: str | None = typer.Option(None, help="gdpr, uk_gdpr, ccpa, ..."),
        country: str | None = typer.Option(None, help="ISO country, if no jurisdiction given."),
        details: str = typer.Option("", help="What the person asked, in their words."),
        verified: str = typer.Option(
            "",
            metavar="REASON",
            help="Staff saw proof of identity (say which); no code is mailed. Without it the "
            "person gets a code to confirm, as on the public form.",
        ),
        as_: str | None = _as_option(),
    ) -> None:
        """Enter a request received by letter, phone or in person."""
        fields = {"type": type_, "email": email, "details": details}
        fields |= {k: v for k, v in (("jurisdiction", jurisdiction), ("country", country)) if v}
        try:
            data = PrivacyRequestCreate.model_validate(fields)
        except ValidationError as exc:
            raise fail(
                "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            ) from None
        with cli_session() as session:
            row = service.create(
                session, data=data, actor=_actor(session, as_), verified_reason=verified
            )
            console.print(f"created request {row.id}; it is {row.status}", highlight=False)

    @app.command("import")
    def import_(
        file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV file."),
        as_: str | None = _as_option(),
    ) -> None:
        """Create many requests from a CSV file, all or none.

        Columns: type and email, and optionally jurisdiction, country, region, phone,
        account_id, language, details and verified_reason.
        """
        with cli_session() as session:
            rows = imports.import_csv(session, file.read_bytes(), actor=_actor(session, as_))
            console.print(f"imported {len(rows)} request(s)", highlight=False)
