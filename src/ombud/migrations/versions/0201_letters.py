"""execution: wrong passphrase tries on package download pages; the language of letters

Revision ID: 0201_letters
Revises: 0200_execution
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ombud.models.base

revision: str = "0201_letters"
down_revision: str | Sequence[str] | None = "0200_execution"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0102_identity_hints"


def upgrade() -> None:
    op.create_table(
        "package_unlock_attempts",
        sa.Column("export_id", sa.String(length=64), nullable=False),
        sa.Column("at", ombud.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_unlock_attempts")),
    )
    op.create_index(
        "ix_package_unlock_attempts_export_at",
        "package_unlock_attempts",
        ["export_id", "at"],
        unique=False,
    )
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_column("language")
    op.drop_index("ix_package_unlock_attempts_export_at", table_name="package_unlock_attempts")
    op.drop_table("package_unlock_attempts")
