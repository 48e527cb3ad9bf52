"""notify: staff can turn notifications off; the days the deadline digest was sent

Revision ID: 0600_notify
Revises: 0001_foundation
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ombud.models.base

revision: str = "0600_notify"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("notify",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(
            sa.Column("notifications", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    op.create_table(
        "notify_digests",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sent_at", ombud.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_notify_digests")),
    )


def downgrade() -> None:
    op.drop_table("notify_digests")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("notifications")
