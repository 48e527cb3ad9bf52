"""Bulk-loading the consent ledger for ``benchmarks/consent.py``: PostgreSQL COPY (indexes
and FK triggers off while loading) or SQLite executemany; ``records / 10`` people with 10
decisions each over 5 purposes, plus their current state."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import text

from ombud.config import Settings
from ombud.consent import ledger
from ombud.db import make_engine

PURPOSES = [
    "newsletter",
    "product_alerts",
    "privacy_statement_updates",
    "marketing.advertising",
    "analytics.reporting",
]


def fill(kind: str, url: str, records: int, settings: Settings) -> float:
    """Bulk-load ``records`` ledger records and their states; return seconds taken."""
    people = records // 10
    engine = make_engine(url)
    with engine.connect() as conn:
        notices = {
            r.purpose: (r.id, r.content_hash)
            for r in conn.execute(text("SELECT purpose, id, content_hash FROM consent_notices"))
        }
        start_id = conn.execute(text("SELECT coalesce(max(id), 0) FROM consent_records")).scalar()
    engine.dispose()
    assert isinstance(start_id, int)
    hashes = ledger.hash_many("email", [f"user{p}@example.com" for p in range(people)], settings)
    # SQLite stores naive UTC text (UTCDateTime); PostgreSQL gets an explicit zone.
    utc = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    now = utc + "+00" if kind == "postgresql" else utc
    cols = (
        "id, receipt_id, subject_hash, subject_kind, subject, purpose, decision, method, "
        "notice_id, notice_version, notice_hash, jurisdiction, recorded_at, source_url, "
        "user_agent, ip, actor, evidence, erased_at"
    )
    scols = "purpose, subject_hash, subject_kind, subject, decision, method, record_id, updated_at"

    def rows() -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None]]:
        rid = start_id
        for p in range(people):
            h, email = hashes[p], f"user{p}@example.com"
            for k in range(10):
                purpose = PURPOSES[k % 5]
                # Second round decides: even people keep the grant, odd people withdraw.
                decision = "granted" if k < 5 or p % 2 == 0 else "withdrawn"
                rid += 1
                nid, nh = notices[purpose]
                rec = (
                    rid,
                    f"{rid:032x}",
                    h,
                    "email",
                    email,
                    purpose,
                    decision,
                    "import",
                    nid,
                    1,
                    nh,
                    "gdpr",
                    now,
                    "",
                    "bench",
                    "203.0.113.0/24",
                    "bench",
                    "{}",
                    None,
                )
                state = (
                    (purpose, h, "email", email, decision, "import", rid, now) if k >= 5 else None
                )
                yield rec, state

    start = time.perf_counter()
    if kind == "postgresql":
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(dsn) as pg:
            pg.execute("SET session_replication_role = replica")  # no FK triggers while loading
            pg.execute("DROP INDEX ix_consent_records_subject_purpose")
            pg.execute("ALTER TABLE consent_records DROP CONSTRAINT uq_consent_records_receipt_id")
            with pg.cursor().copy(f"COPY consent_records ({cols}) FROM STDIN") as rc:
                states = []
                for rec, state in rows():
                    rc.write_row(rec)
                    if state:
                        states.append(state)
            with pg.cursor().copy(f"COPY consent_states ({scols}) FROM STDIN") as sc:
                for state in states:
                    sc.write_row(state)
            pg.execute(
                "CREATE INDEX ix_consent_records_subject_purpose ON consent_records "
                "(subject_hash, purpose, id)"
            )
            pg.execute(
                "ALTER TABLE consent_records ADD CONSTRAINT uq_consent_records_receipt_id"
                " UNIQUE (receipt_id)"
            )
            pg.commit()
        with psycopg.connect(dsn, autocommit=True) as pg:
            pg.execute("VACUUM ANALYZE consent_records")
            pg.execute("VACUUM ANALYZE consent_states")
    else:
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        db.execute("PRAGMA synchronous=OFF")
        db.execute("DROP INDEX ix_consent_records_subject_purpose")
        marks = ",".join("?" * 19)
        batch: list[tuple[Any, ...]] = []
        states = []
        for rec, state in rows():
            batch.append(rec)
            if state:
                states.append(state)
            if len(batch) == 100_000:
                db.executemany(f"INSERT INTO consent_records ({cols}) VALUES ({marks})", batch)
                batch.clear()
        db.executemany(f"INSERT INTO consent_records ({cols}) VALUES ({marks})", batch)
        db.executemany(f"INSERT INTO consent_states ({scols}) VALUES (?,?,?,?,?,?,?,?)", states)
        db.execute(
            "CREATE INDEX ix_consent_records_subject_purpose ON consent_records "
            "(subject_hash, purpose, id)"
        )
        db.commit()
        db.execute("ANALYZE")
        db.close()
    return time.perf_counter() - start
