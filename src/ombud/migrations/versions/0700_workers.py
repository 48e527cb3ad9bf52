"""workers: periodic jobs claimed per time slot, so several processes run each once

Revision ID: 0700_workers
Revises: 0001_foundation
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ombud.models.base

revision: str = "0700_workers"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("workers",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "periodic_jobs",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("last_slot", ombud.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("started_at", ombud.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", ombud.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_periodic_jobs")),
    )


def downgrade() -> None:
    op.drop_table("periodic_jobs")
