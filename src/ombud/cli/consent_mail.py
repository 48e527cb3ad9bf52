"""The work behind ``ombud consent unsubscribe-mail``: one message, or a Maildir folder."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.exc import OperationalError

from ombud.cli.common import err_console, fail
from ombud.consent import mailin, tokens
from ombud.db import unit_of_work
from ombud.errors import OmbudError

# sysexits.h, which mail servers read: 65 bounces the message with our text, 75 retries later.
EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_TEMPFAIL = 75


def run_one(data: bytes, recipient: str | None) -> tuple[int, str]:
    """Process one message in its own transaction: (exit code, text for the operator)."""
    try:
        with unit_of_work() as session:
            result = mailin.process(session, data, recipient=recipient)
    except (tokens.InvalidLink, tokens.ExpiredLink) as exc:
        return EX_DATAERR, exc.message
    except OmbudError as exc:  # e.g. no data map applied yet: keep the mail until fixed
        return EX_TEMPFAIL, exc.message
    except OperationalError as exc:
        return EX_TEMPFAIL, f"cannot use Ombud's store: {exc.orig}; the message was not processed"
    if result.record is None:
        return (
            EX_OK,
            f"{result.who} had already unsubscribed from {result.title} ({result.purpose})",
        )
    rec = result.record
    return EX_OK, (
        f"{result.who} unsubscribed from {result.title} ({result.purpose}: {rec.decision}), "
        f"receipt {rec.receipt_id}"
    )


def run_maildir(folder: Path, recipient: str | None) -> int:
    """Process DIR/new; each message goes to DIR/cur, seen (S) or flagged (FS) when refused."""
    new, cur = folder / "new", folder / "cur"
    if not new.is_dir() or not cur.is_dir():
        raise fail(f"{folder} is not a Maildir folder: it needs new/ and cur/ subfolders", EX_USAGE)
    done = refused = 0
    for path in sorted(new.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        code, text = run_one(path.read_bytes(), recipient)
        if code == EX_TEMPFAIL:
            # Leave this one and the rest in new/ for the next run.
            err_console.print(f"[red]error:[/red] {path.name}: {text}", highlight=False)
            return EX_TEMPFAIL
        base = path.name.split(":2,", 1)[0]
        path.rename(cur / f"{base}:2,{'S' if code == EX_OK else 'FS'}")
        if code == EX_OK:
            done += 1
            typer.echo(f"{path.name}: {text}")
        else:
            refused += 1
            err_console.print(f"refused {path.name}: {text}", highlight=False, soft_wrap=True)
    typer.echo(f"{done} processed, {refused} refused (flagged in {cur})")
    return EX_DATAERR if refused else EX_OK
