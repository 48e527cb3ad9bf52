"""consent: objections (Art. 21) and restrictions (Art. 18) in force, by keyed hash

Revision ID: 0302_rights
Revises: 0301_keys
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ombud.models.base

revision: str = "0302_rights"
down_revision: str | Sequence[str] | None = "0301_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consent_objections",
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("recorded_at", ombud.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("subject_hash", "purpose", name=op.f("pk_consent_objections")),
    )
    op.create_table(
        "consent_restrictions",
        sa.Column("subject_hash", sa.String(length=64), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("recorded_at", ombud.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("subject_hash", name=op.f("pk_consent_restrictions")),
    )
    op.create_index(
        op.f("ix_consent_restrictions_request_id"),
        "consent_restrictions",
        ["request_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_consent_restrictions_request_id"), table_name="consent_restrictions")
    op.drop_table("consent_restrictions")
    op.drop_table("consent_objections")
