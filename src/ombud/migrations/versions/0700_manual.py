"""manual tasks: work on systems without a connector, done by their owners

Revision ID: 0700_manual
Revises: 0001_foundation
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ombud.models.base

revision: str = "0700_manual"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("manual",)
# The tasks belong to requests.
depends_on: str | Sequence[str] | None = ("0100_dsr",)


def upgrade() -> None:
    op.create_table(
        "manual_tasks",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("system_kind", sa.String(length=16), nullable=False),
        sa.Column("system_key", sa.String(length=200), nullable=False),
        sa.Column("system_name", sa.String(length=300), nullable=False),
        sa.Column("owner", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("identities", sa.JSON(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("upload", sa.JSON(), nullable=True),
        sa.Column("link_version", sa.Integer(), nullable=False),
        sa.Column("closed_at", ombud.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=320), nullable=True),
        sa.Column("reminded_at", ombud.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", ombud.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", ombud.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["privacy_requests.id"],
            name=op.f("fk_manual_tasks_request_id_privacy_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_tasks")),
        sa.UniqueConstraint("request_id", "system_key", name=op.f("uq_manual_tasks_request_id")),
    )
    op.create_index(
        op.f("ix_manual_tasks_request_id"), "manual_tasks", ["request_id"], unique=False
    )
    op.create_index(op.f("ix_manual_tasks_status"), "manual_tasks", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_manual_tasks_status"), table_name="manual_tasks")
    op.drop_index(op.f("ix_manual_tasks_request_id"), table_name="manual_tasks")
    op.drop_table("manual_tasks")
