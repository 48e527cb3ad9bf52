"""dsr: the purposes a withdraw_consent or objection request names

Revision ID: 0103_rights
Revises: 0102_identity_hints
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0103_rights"
down_revision: str | Sequence[str] | None = "0102_identity_hints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(sa.Column("purposes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_column("purposes")
