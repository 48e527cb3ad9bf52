"""Shared fixtures; see ``tests/fixtures``. Run with ``--store postgresql`` for PostgreSQL."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.services",
    "tests.fixtures.store",
    "tests.fixtures.smtp",
    "tests.fixtures.api",
]
