"""complaints: what people complain about, their deadlines, staff notes and answers

Revision ID: 0600_complaints
Revises: 0001_foundation
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ombud.models.base

revision: str = "0600_complaints"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("complaints",)
# The complaint names a request: the requests' table must exist first.
depends_on: str | Sequence[str] | None = "0100_dsr"

UTC = ombud.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("about", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=True),
        sa.Column("purpose", sa.String(length=200), nullable=True),
        sa.Column("jurisdiction", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", UTC(timezone=True), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("acknowledged_at", UTC(timezone=True), nullable=True),
        sa.Column("assignee", sa.String(length=320), nullable=True),
        sa.Column("assigned_at", UTC(timezone=True), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=320), nullable=True),
        sa.Column("answered_at", UTC(timezone=True), nullable=True),
        sa.Column("purged_at", UTC(timezone=True), nullable=True),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["privacy_requests.id"],
            name=op.f("fk_complaints_request_id_privacy_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("reference", name=op.f("uq_complaints_reference")),
    )
    op.create_index(op.f("ix_complaints_status"), "complaints", ["status"], unique=False)
    op.create_index(op.f("ix_complaints_request_id"), "complaints", ["request_id"], unique=False)
    op.create_index(op.f("ix_complaints_email"), "complaints", ["email"], unique=False)
    op.create_index(op.f("ix_complaints_answered_at"), "complaints", ["answered_at"], unique=False)
    op.create_table(
        "complaint_notes",
        sa.Column("complaint_id", sa.String(length=36), nullable=False),
        sa.Column("author", sa.String(length=320), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_notes_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_notes")),
    )
    op.create_index(
        op.f("ix_complaint_notes_complaint_id"), "complaint_notes", ["complaint_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_complaint_notes_complaint_id"), table_name="complaint_notes")
    op.drop_table("complaint_notes")
    for column in ("answered_at", "email", "request_id", "status"):
        op.drop_index(op.f(f"ix_complaints_{column}"), table_name="complaints")
    op.drop_table("complaints")
