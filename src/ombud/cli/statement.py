"""``ombud statement``."""

from __future__ import annotations

import typer

app = typer.Typer(help="statement", no_args_is_help=True)
