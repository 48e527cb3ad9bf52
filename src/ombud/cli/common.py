"""Helpers shared by CLI commands: console, error reporting, a unit of work."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ombud import keys
from ombud.config import ConfigFileError, Settings, get_settings
from ombud.db import unit_of_work
from ombud.errors import OmbudError

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` on stderr and return the exit to raise."""
    err_console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def cli_session() -> Iterator[Session]:
    """A committed unit of work whose errors become a clear message and exit code 1."""
    load_settings()  # a bad setting or settings file: a message, not a traceback
    try:
        with unit_of_work() as session:
            yield session
    except OmbudError as exc:
        detail = exc.detail
        if isinstance(detail, list):
            for line in detail:
                err_console.print(str(line), highlight=False, soft_wrap=True)
        raise fail(exc.message) from None
    except OperationalError as exc:
        raise fail(
            f"cannot use Ombud's store: {exc.orig}. Check OMBUD_DATABASE_URL and run "
            "'ombud db upgrade'."
        ) from None


def load_settings() -> Settings:
    """The settings, or a clear message (which setting, which file) and exit code 2."""
    try:
        return get_settings()
    except ConfigFileError as exc:
        raise fail(str(exc), 2) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"OMBUD_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise fail(f"invalid settings: {problems}", 2) from None


def server_settings() -> Settings:
    """Settings for a server or worker: refused (exit 2) without a strong OMBUD_SECRET_KEY."""
    settings = load_settings()
    try:
        keys.require(settings)
    except keys.SecretKeyError as exc:
        raise fail(exc.message, 2) from None
    return settings


def is_tty() -> bool:
    """True when stdout is a terminal (progress bars only then)."""
    return sys.stdout.isatty()
