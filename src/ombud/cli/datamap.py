"""``ombud datamap``."""

from __future__ import annotations

import typer

app = typer.Typer(help="datamap", no_args_is_help=True)
