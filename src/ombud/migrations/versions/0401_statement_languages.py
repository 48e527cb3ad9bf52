"""statement: the other languages of a published version

Revision ID: 0401_statement_languages
Revises: 0400_statement
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0401_statement_languages"
down_revision: str | Sequence[str] | None = "0400_statement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("statement_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("statement_versions", schema=None) as batch_op:
        batch_op.drop_column("translations")
