"""dsr: the approval rule a request falls under and the approvals it got

Revision ID: 0105_approvals
Revises: 0104_dsr_assignee
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0105_approvals"
down_revision: str | Sequence[str] | None = "0104_dsr_assignee"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(
            sa.Column("approval_policy", sa.String(length=8), nullable=False, server_default="one")
        )
        batch.add_column(
            sa.Column("approval_rule", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("approvals", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_column("approvals")
        batch.drop_column("approval_rule")
        batch.drop_column("approval_policy")
