"""consent: preference links name a row, not an address

Revision ID: 0301_keys
Revises: 0300_consent
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ombud.models.base

revision: str = "0301_keys"
down_revision: str | Sequence[str] | None = "0300_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_links",
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=True),
        sa.Column("expires_at", ombud.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", ombud.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_links")),
    )
    with op.batch_alter_table("consent_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consent_links_subject_hash"), ["subject_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consent_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_links_subject_hash"))
    op.drop_table("consent_links")
