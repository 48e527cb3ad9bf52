"""``ombud users`` and ``ombud tokens``: staff accounts and API tokens."""

from __future__ import annotations

import typer

from ombud.cli.common import cli_session, console
from ombud.notify import service as notify_service
from ombud.staff import service

users_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for staff.", no_args_is_help=True)


@users_app.command("create")
def create_user(
    email: str = typer.Argument(..., help="Login email of the staff member."),
    role: str = typer.Option("viewer", help="admin, privacy_officer or viewer."),
    name: str = typer.Option("", help="Display name."),
    password: str = typer.Option(
        ...,
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="OMBUD_NEW_PASSWORD",
        help="At least 12 characters (prompted if not given).",
    ),
) -> None:
    """Create a staff account."""
    with cli_session() as session:
        user = service.create_user(session, email=email, password=password, role=role, name=name)
        console.print(f"created {user.email} with role {user.role}")


@users_app.command("list")
def list_users() -> None:
    """List staff accounts: email, role, whether active and whether they get notifications."""
    with cli_session() as session:
        for u in service.list_users(session):
            state = "active" if u.active else "disabled"
            mail = "notifications on" if u.notifications else "notifications off"
            typer.echo(f"{u.email}  {u.role}  {state}  {mail}")


@users_app.command("notifications")
def notifications(
    email: str = typer.Argument(..., help="Staff member's email."),
    on: bool = typer.Option(
        ..., "--on/--off", help="Mail about verified requests and the daily deadline digest."
    ),
) -> None:
    """Turn a staff member's notification mail on or off."""
    with cli_session() as session:
        user = notify_service.set_notifications(session, email=email, enabled=on, actor="cli")
        state = "on" if user.notifications else "off"
        console.print(f"notifications for {user.email} are {state}", highlight=False)


@tokens_app.command("create")
def create_token(
    email: str = typer.Argument(..., help="Staff user the token acts for."),
    name: str = typer.Option("cli", help="What the token is for."),
    role: str | None = typer.Option(None, help="Lesser role than the user's, if wanted."),
    expires_in_days: int | None = typer.Option(None, help="Expire after this many days."),
) -> None:
    """Create an API token; it is printed once and only its hash is kept."""
    with cli_session() as session:
        issued = service.create_token(
            session, email=email, name=name, role=role, expires_in_days=expires_in_days
        )
        console.print(
            f"token for {email} (role {issued.token.role}); store it now, it is not shown again:"
        )
        typer.echo(issued.secret)


@tokens_app.command("list")
def list_tokens() -> None:
    """List API tokens: prefix, name, user, role, expiry and whether revoked."""
    with cli_session() as session:
        for t in service.list_tokens(session):
            state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "live"
            expires = f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "no expiry"
            typer.echo(f"{t.prefix}  {t.name}  {t.user.email}  {t.role}  {expires}  {state}")


@tokens_app.command("revoke")
def revoke_token(
    prefix: str = typer.Argument(..., help="The token's prefix as shown by ombud tokens list."),
) -> None:
    """Revoke an API token. Running servers stop accepting it within OMBUD_TOKEN_CACHE_SECONDS."""
    with cli_session() as session:
        token = service.revoke_token(session, prefix=prefix)
        console.print(f"revoked token {token.prefix} ({token.name})")
