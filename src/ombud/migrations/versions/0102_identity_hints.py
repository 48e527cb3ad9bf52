"""dsr: unverified identities kept apart as hints; the agent's written permission

Revision ID: 0102_identity_hints
Revises: 0101_package_encryption
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0102_identity_hints"
down_revision: str | Sequence[str] | None = "0101_package_encryption"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_requests = sa.table(
    "privacy_requests",
    sa.column("id", sa.String()),
    sa.column("identities", sa.JSON()),
    sa.column("identity_hints", sa.JSON()),
    sa.column("verified_at", sa.DateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.add_column(
            sa.Column("identity_hints", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(sa.Column("agent_permission", sa.JSON(), nullable=True))
    # Identities stored before this revision were never verified except the email (once the
    # request was verified): the rest become pending hints, so they no longer seed a search.
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_requests.c.id, _requests.c.identities, _requests.c.verified_at)
    ).all()
    for rid, identities, verified_at in rows:
        identities = dict(identities or {})
        hints: list[dict[str, Any]] = [
            {
                "id": secrets.token_hex(4),
                "type": kind,
                "value": str(value),
                "format": "raw",
                "source": "migrated",
                "status": "pending",
            }
            for kind, value in identities.items()
            if kind != "email" and value
        ]
        kept = {"email": identities["email"]} if "email" in identities and verified_at else {}
        if kept != identities or hints:
            bind.execute(
                sa.update(_requests)
                .where(_requests.c.id == rid)
                .values(identities=kept, identity_hints=hints)
            )


def downgrade() -> None:
    with op.batch_alter_table("privacy_requests") as batch:
        batch.drop_column("agent_permission")
        batch.drop_column("identity_hints")
