"""Revision 0102 moves identities stored before it (never verified) into pending hints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from ombud.migrations import upgrade
from tests.fixtures.services import drop_pg_database
from tests.fixtures.store import _new_store

INSERT = text(
    "INSERT INTO privacy_requests (id, created_at, type, status, jurisdiction, email, "
    "identities, details, source, received_at, received_on, paused_days, verified_at) VALUES "
    "(:id, :at, 'access', :status, 'gdpr', 'a@example.test', :identities, '', 'api', :at, "
    ":day, 0, :verified)"
)


@pytest.fixture
def old_store(store_kind: str, tmp_path: Path) -> Iterator[str]:
    """A store migrated up to the revision before identity hints."""
    url = _new_store(store_kind, tmp_path)
    upgrade(url, "0101_package_encryption")
    yield url
    if store_kind == "postgresql":
        drop_pg_database(url)


def test_unverified_identities_become_pending_hints(old_store: str) -> None:
    engine = create_engine(old_store)
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    both = '{"email": "a@example.test", "phone": "+49 30 1", "account_id": "C-1"}'
    with engine.begin() as conn:
        for rid, status, verified in (("r-verified", "approved", at), ("r-new", "received", None)):
            conn.execute(
                INSERT,
                {
                    "id": rid,
                    "at": at,
                    "status": status,
                    "identities": both,
                    "day": at.date(),
                    "verified": verified,
                },
            )
    upgrade(old_store, "0102_identity_hints")
    with engine.connect() as conn:
        rows = {
            r[0]: (r[1], r[2])
            for r in conn.execute(
                text("SELECT id, identities, identity_hints FROM privacy_requests")
            )
        }
    engine.dispose()

    def load(value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    identities, hints = (load(v) for v in rows["r-verified"])
    assert identities == {"email": "a@example.test"}
    assert isinstance(hints, list)
    assert sorted((h["type"], h["value"], h["status"]) for h in hints) == [
        ("account_id", "C-1", "pending"),
        ("phone", "+49 30 1", "pending"),
    ]
    identities, hints = (load(v) for v in rows["r-new"])
    assert identities == {} and isinstance(hints, list) and len(hints) == 2
