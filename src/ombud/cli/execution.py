"""Execution commands: ``requests run|preview``, ``plan``, ``connections``."""

from __future__ import annotations

import typer


def register(root: typer.Typer, requests_app: typer.Typer) -> None:
    """Add execution commands to the root and ``requests`` groups."""
