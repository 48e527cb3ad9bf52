"""dsr: the person's choice of access package encryption

Revision ID: 0101_package_encryption
Revises: 0100_dsr
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0101_package_encryption"
down_revision: str | Sequence[str] | None = "0100_dsr"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(sa.Column("package_encryption", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("package_recipient", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("package_passphrase_sealed", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_column("package_passphrase_sealed")
        batch.drop_column("package_recipient")
        batch.drop_column("package_encryption")
