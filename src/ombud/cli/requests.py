"""``ombud requests``."""

from __future__ import annotations

import typer

app = typer.Typer(help="requests", no_args_is_help=True)
