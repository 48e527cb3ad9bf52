"""dsr: the staff member a request is assigned to

Revision ID: 0103_assignee
Revises: 0102_identity_hints
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0103_assignee"
down_revision: str | Sequence[str] | None = "0102_identity_hints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(sa.Column("assigned_to", sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            op.f("fk_privacy_requests_assigned_to_staff_users"),
            "staff_users",
            ["assigned_to"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_privacy_requests_assigned_to"), ["assigned_to"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_index(op.f("ix_privacy_requests_assigned_to"))
        batch.drop_constraint(
            op.f("fk_privacy_requests_assigned_to_staff_users"), type_="foreignkey"
        )
        batch.drop_column("assigned_to")
