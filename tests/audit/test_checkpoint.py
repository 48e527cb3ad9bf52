"""Attacks by someone who can write the store but lacks the key, through the CLI: an edited
row, a re-hashed chain, a truncated tail, an appended forged row and an emptied table."""

from __future__ import annotations

import hashlib
import hmac
import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ombud.audit import checkpoint, repository, service
from ombud.audit.tasks import nightly_checkpoint
from ombud.cli.main import app
from ombud.clock import utcnow
from ombud.config import get_settings
from ombud.db import make_engine, unit_of_work
from ombud.execution import repository as execution_repository
from ombud.models.audit import AuditEntry, AuditHead
from tests.fixtures.smtp import Mailbox, SmtpServer

runner = CliRunner()
FORGED_KEY = b"the attacker's guess at the key, or none at all......"


@pytest.fixture
def anchored(cli_store: str, tmp_path: Path) -> Path:
    """Eight entries in a committed store and a checkpoint of them in a file."""
    with unit_of_work() as session:
        for i in range(8):
            service.record(
                session,
                action="test.event",
                actor="staff@example.test",
                subject_type="thing",
                subject_id=str(i),
                data={"i": i},
            )
    path = tmp_path / "checkpoints.jsonl"
    res = runner.invoke(app, ["audit", "checkpoint", "--out", str(path)])
    assert res.exit_code == 0, res.output
    assert "checkpoint of entry #8 appended" in res.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return path


def _verify(path: Path | None) -> tuple[int, str]:
    args = ["audit", "verify"] + (["--checkpoint", str(path)] if path else [])
    res = runner.invoke(app, args)
    return res.exit_code, " ".join(res.output.split())


def _rehash_from(session: Session, seq: int, key: bytes | None) -> None:
    """What an attacker without the key does: recompute every hash from ``seq`` on."""
    rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    prev = rows[seq - 2].hash if seq > 1 else ""
    for row in rows[seq - 1 :]:
        row.prev_hash = prev
        message = service.canonical(row)
        row.hash = (
            hmac.new(key, message, hashlib.sha256).hexdigest()
            if key
            else hashlib.sha256(message).hexdigest()
        )
        prev = row.hash
    head = repository.get_head(session)
    assert head is not None
    head.seq, head.hash = rows[-1].seq, prev


def test_intact_log_matches_its_checkpoint(anchored: Path) -> None:
    assert _verify(anchored) == (
        0,
        "audit log intact: 8 entries verified, matching 1 checkpoint(s)",
    )
    line = json.loads(anchored.read_text(encoding="utf-8"))
    assert line["seq"] == 8 and len(line["hash"]) == 64 and line["signature"]


def test_an_edited_row_is_found(anchored: Path) -> None:
    with unit_of_work() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(actor="mallory"))
    code, out = _verify(anchored)
    assert code == 1 and "entry #3" in out and "edited" in out


@pytest.mark.parametrize("key", [None, FORGED_KEY], ids=["sha256", "wrong-key"])
def test_a_rehashed_chain_is_found(anchored: Path, key: bytes | None) -> None:
    with unit_of_work() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(data={"i": 99}))
        _rehash_from(session, 4, key)
    # Found by the chain alone: the attacker cannot compute the keyed hashes.
    for path in (None, anchored):
        code, out = _verify(path)
        assert code == 1 and "entry #4" in out and "without the audit key" in out


def test_a_truncated_tail_is_found_by_the_checkpoint(anchored: Path) -> None:
    with unit_of_work() as session:
        session.execute(delete(AuditEntry).where(AuditEntry.seq > 5))
        last = session.scalars(select(AuditEntry).where(AuditEntry.seq == 5)).one()
        session.execute(update(AuditHead).values(seq=5, hash=last.hash))
    # The chain that is left is consistent; only the checkpoint outside the store knows.
    assert _verify(None)[0] == 0
    code, out = _verify(anchored)
    assert code == 1
    assert "ends at entry #5" in out and "records entry #8" in out and "removed" in out


def test_an_appended_forged_row_is_found(anchored: Path) -> None:
    with unit_of_work() as session:
        head = repository.get_head(session)
        assert head is not None
        forged = AuditEntry(
            seq=9,
            at=utcnow(),
            actor="dpo@example.test",
            action="request.status_changed",
            subject_type="privacy_request",
            subject_id="r-1",
            data={"status": "completed"},
            prev_hash=head.hash,
            hash="",
        )
        forged.hash = hmac.new(FORGED_KEY, service.canonical(forged), "sha256").hexdigest()
        session.add(forged)
        head.seq, head.hash = 9, forged.hash
    for path in (None, anchored):
        code, out = _verify(path)
        assert code == 1 and "entry #9" in out and "without the audit key" in out


def test_an_emptied_table_is_found_by_the_checkpoint(anchored: Path) -> None:
    with unit_of_work() as session:
        session.execute(delete(AuditEntry))
        session.execute(delete(AuditHead))
    assert _verify(None) == (0, "audit log intact: 0 entries verified")
    code, out = _verify(anchored)
    assert code == 1 and "the log is empty" in out and "records entry #8" in out


def test_a_rewrite_with_the_key_is_found_up_to_the_checkpoint(
    anchored: Path, cli_store: str
) -> None:
    from ombud import keys
    from ombud.config import get_settings

    key = keys.current(get_settings(), keys.AUDIT_CHAIN)
    with unit_of_work() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="mallory"))
        _rehash_from(session, 2, key)
    assert _verify(None)[0] == 0  # with the key, the chain itself can be rebuilt ...
    code, out = _verify(anchored)  # ... but not the head already written outside the store
    assert code == 1 and "entry #8 differs from the checkpoint" in out


def test_a_tampered_checkpoint_file_is_refused(anchored: Path) -> None:
    data = json.loads(anchored.read_text(encoding="utf-8"))
    data["seq"] = 3
    anchored.write_text(json.dumps(data) + "\n", encoding="utf-8")
    code, out = _verify(anchored)
    assert code == 1 and "line 1" in out and "signature does not match" in out


def test_checkpoint_goes_to_stdout_and_mail(
    anchored: Path, smtp_server: SmtpServer, cli_store: str
) -> None:
    res = runner.invoke(app, ["audit", "checkpoint"])
    assert res.exit_code == 0, res.output
    line = json.loads(res.output)
    assert line["format"] == "ombud-audit-checkpoint/1" and line["seq"] == 8
    sent = runner.invoke(app, ["audit", "checkpoint", "--mail", "dpo@example.test"])
    assert sent.exit_code == 0, sent.output
    (msg,) = smtp_server.mailbox.to("dpo@example.test")
    assert '"seq":8' in Mailbox.text(msg)


def test_no_checkpoint_of_a_broken_chain(anchored: Path) -> None:
    with unit_of_work() as session:
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(actor="mallory"))
    res = runner.invoke(app, ["audit", "checkpoint"])
    assert res.exit_code == 1 and "no checkpoint was made" in " ".join(res.output.split())


def test_a_checkpoint_leaves_the_store_only_once_its_head_is_on_the_disk(
    cli_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(cli_store)
    try:
        if engine.dialect.name != "postgresql":
            pytest.skip("only PostgreSQL commits claims without waiting for the disk")
        # A claim's way: the head moves in a commit that does not wait for the disk.
        with unit_of_work(engine) as session:
            execution_repository.commit_without_flushing(session)
            service.record(
                session, action="test.event", actor="system:test", subject_type="thing",
                subject_id="claimed", data={},
            )  # fmt: skip
            moved = str(session.scalar(text("SELECT pg_current_wal_insert_lsn()")))
        flushed: list[bool] = []
        write_out = checkpoint.append_to_file

        def watched(path: Path, cp: checkpoint.Checkpoint) -> None:
            with engine.connect() as conn:
                on_disk = "SELECT pg_current_wal_flush_lsn() >= CAST(:lsn AS pg_lsn)"
                flushed.append(bool(conn.scalar(text(on_disk), {"lsn": moved})))
            write_out(path, cp)

        monkeypatch.setattr(checkpoint, "append_to_file", watched)
        settings = get_settings().model_copy(
            update={"audit_checkpoint_file": tmp_path / "nightly.jsonl"}
        )
        cp = nightly_checkpoint(engine, settings)
        assert cp is not None and cp.seq == 1
        assert flushed == [True]
    finally:
        engine.dispose()
