"""The ``ombud`` command."""

from __future__ import annotations

import typer

from ombud import __version__
from ombud.cli import (
    audit,
    complaints,
    consent,
    cookies,
    datamap,
    db,
    decisions,
    demo,
    execution,
    helptext,
    mail,
    requests,
    retention,
    serve,
    staff,
    statement,
    worker,
)

helptext.tidy()

app = typer.Typer(
    name="ombud",
    help="Ombud: the running system behind a privacy statement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ombud {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Ombud: data map as code, privacy statement, data subject requests, consent."""


app.add_typer(db.app, name="db")
app.add_typer(datamap.app, name="datamap")
app.add_typer(staff.users_app, name="users")
app.add_typer(staff.tokens_app, name="tokens")
app.add_typer(requests.app, name="requests")
app.add_typer(audit.app, name="audit")
app.add_typer(consent.app, name="consent")
app.add_typer(cookies.app, name="cookies")
app.add_typer(statement.app, name="statement")
app.add_typer(retention.app, name="retention")
app.add_typer(mail.app, name="mail")
app.add_typer(complaints.app, name="complaints")
execution.register(app, requests.app)
decisions.register(requests.app)
serve.register(app)
worker.register(app)
demo.register(app)


def main() -> None:
    """Entry point of the console script."""
    app()
