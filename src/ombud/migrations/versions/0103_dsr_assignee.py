"""dsr: the staff member assigned to a request

Revision ID: 0103_dsr_assignee
Revises: 0102_identity_hints
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0103_dsr_assignee"
down_revision: str | Sequence[str] | None = "0102_identity_hints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(sa.Column("assignee_id", sa.String(length=36), nullable=True))
        batch.create_index(batch.f("ix_privacy_requests_assignee_id"), ["assignee_id"])
        batch.create_foreign_key(
            batch.f("fk_privacy_requests_assignee_id_staff_users"),
            "staff_users",
            ["assignee_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_constraint(
            batch.f("fk_privacy_requests_assignee_id_staff_users"), type_="foreignkey"
        )
        batch.drop_index(batch.f("ix_privacy_requests_assignee_id"))
        batch.drop_column("assignee_id")
