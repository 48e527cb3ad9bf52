"""``ombud consent``: unsubscribe headers, suppression lists and purposes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ombud.cli import consent_mail as mailin_cli
from ombud.cli.common import cli_session, console, err_console, fail
from ombud.cli.consent_mail import EX_USAGE
from ombud.consent import preferences, service
from ombud.consent.purposes import get_purpose

app = typer.Typer(
    help="Consent ledger: purposes, unsubscribe headers and mail, suppression lists.",
    no_args_is_help=True,
)


@app.command("unsubscribe-headers")
def unsubscribe_headers(
    email: str = typer.Option(..., "--email", help="Recipient of the message."),
    purpose: str = typer.Option(..., "--purpose", help="Purpose key, e.g. newsletter."),
) -> None:
    """Print RFC 8058 List-Unsubscribe and List-Unsubscribe-Post headers for one recipient."""
    with cli_session() as session:
        get_purpose(session, purpose)
        headers = preferences.unsubscribe_headers(email=email, purpose=purpose)
    for name, value in headers.items():
        typer.echo(f"{name}: {value}")


@app.command("unsubscribe-mail")
def unsubscribe_mail(
    message: Path | None = typer.Argument(
        None, help="File holding one message (RFC 5322); default: standard input."
    ),
    maildir: Path | None = typer.Option(
        None,
        "--maildir",
        metavar="DIR",
        help="Process every message in DIR/new, then move it to DIR/cur (refused ones flagged).",
    ),
    recipient: str | None = typer.Option(
        None,
        "--recipient",
        metavar="ADDRESS",
        help="Envelope recipient passed by the mail server (e.g. Postfix's original_recipient); "
        "searched before the headers.",
    ),
) -> None:
    """Withdraw consent for mailto: unsubscribe messages (List-Unsubscribe, RFC 2369).

    Reads one message from standard input or MESSAGE (as a mail server pipes it in from
    /etc/aliases), or every message of a Maildir. The token is read from the recipient address
    (unsubscribe+TOKEN@domain in X-Original-To, Delivered-To, Envelope-To, To or Cc) or the
    subject, and must be genuine, unexpired and for the identity it names. Exit codes: 0 done
    (or already unsubscribed), 65 refused (the reason is printed; mail servers bounce it),
    75 store unavailable (mail servers keep the message and retry). See docs/consent.md."""
    if maildir is not None:
        if message is not None:
            raise fail("give either a MESSAGE file or --maildir, not both", EX_USAGE)
        raise typer.Exit(mailin_cli.run_maildir(maildir, recipient))
    if message is not None:
        try:
            data = message.read_bytes()
        except OSError as exc:
            raise fail(f"cannot read {message}: {exc.strerror}", EX_USAGE) from None
    else:
        data = typer.get_binary_stream("stdin").read()
    code, text = mailin_cli.run_one(data, recipient)
    if code != 0:
        raise fail(text, code)
    typer.echo(text)


@app.command("export-suppression")
def export_suppression(
    purpose: str = typer.Option(..., "--purpose", help="Purpose key, e.g. newsletter."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
) -> None:
    """Write the emails that must not be contacted for PURPOSE (refused or withdrawn), one per
    line; erased people are listed by their keyed hash as hmac-sha256:HEX."""
    lines: list[str] = []
    with cli_session() as session:
        for raw, digest, _decision in service.suppressed(session, purpose=purpose):
            lines.append(raw if raw else f"hmac-sha256:{digest}")
    text = "".join(line + "\n" for line in lines)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {len(lines)} identities to {output}", highlight=False)


@app.command("purposes")
def purposes() -> None:
    """List consentable purposes with their current notice version and hash."""
    with cli_session() as session:
        items = service.purposes(session)
    table = Table("key", "title", "kind", "double opt-in", "GPC", "notice", "sha256")
    for p in items:
        table.add_row(
            p.key,
            p.title,
            p.kind,
            "yes" if p.double_opt_in else "no",
            "yes" if p.gpc_applies else "no",
            f"v{p.notice_version}",
            p.notice_hash[:16],
        )
    console.print(table)
