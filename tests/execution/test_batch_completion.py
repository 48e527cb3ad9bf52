"""A batch completes in one transaction, at first without savepoints; when a request cannot
complete, the batch runs again with a savepoint per request: that one is failed with the
reason, its savepoint takes its records, audit entries and package with it, and the others of
the batch complete with one letter each."""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest
from sqlalchemy import Engine, select

from ombud.audit import service as audit
from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.errors import OmbudError
from ombud.execution import finishing
from ombud.execution.tasks import run_requests
from ombud.models.audit import AuditEntry
from ombud.outbox import service as outbox_service
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.statements import statements


def _actions(engine: Engine, request_id: str) -> list[str]:
    with unit_of_work(engine) as session:
        stmt = select(AuditEntry).where(AuditEntry.subject_id == request_id)
        return [f"{e.action}:{e.data.get('to', '')}" for e in session.scalars(stmt)]


def _packages(settings: Settings) -> set[str]:
    folder = settings.data_dir / "exports"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def test_a_batch_that_completes_whole_uses_no_savepoint(
    target: Target, store: tuple[Settings, Engine], shop_map: DataMap
) -> None:
    settings, engine = store
    ids = [add_request(engine, "access", 1), add_request(engine, "erasure", 4)]
    with statements(engine, "SAVEPOINT") as seen:
        reports = run_requests(engine, ids, settings=settings, datamap=shop_map)
    assert {r.status for r in reports} == {"completed"}
    assert seen == []


def test_a_request_refused_after_its_package_was_written_leaves_no_package(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, engine = store
    kept, refused = add_request(engine, "access", 1), add_request(engine, "access", 3)
    finish = finishing.finish

    def refuse_one(session: Any, spec: Any, result: Any, *, actor: str) -> None:
        if spec.id == refused:
            raise OmbudError("the letter cannot be written")
        finish(session, spec, result, actor=actor)

    monkeypatch.setattr(finishing, "finish", refuse_one)
    with statements(engine, "SAVEPOINT") as seen:
        reports = {
            r.request_id: r
            for r in run_requests(engine, [kept, refused], settings=settings, datamap=shop_map)
        }
    assert reports[kept].status == "completed" and reports[refused].status == "failed"
    assert seen, "the second attempt isolates each request in a savepoint"
    # Both attempts wrote a package for each; only the completed request's is left.
    export_id = (status_of(engine, kept).result or {})["export_id"]
    assert [name.split(".")[0] for name in _packages(settings)] == [export_id]


def test_a_failure_after_the_commit_is_not_taken_for_a_failed_batch(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, engine = store
    rid = add_request(engine, "access", 1)

    def broken(*args: Any) -> None:
        raise RuntimeError("the mail hand-off broke")

    monkeypatch.setattr(outbox_service, "_send_committed", broken)
    with pytest.raises(RuntimeError, match="hand-off"):
        run_requests(engine, [rid], settings=settings, datamap=shop_map)
    # Committed once, not run again request by request; its package stays for its letter.
    done = status_of(engine, rid)
    assert done.status == "completed"
    export_id = (done.result or {})["export_id"]
    assert [name.split(".")[0] for name in _packages(settings)] == [export_id]


def test_one_request_that_cannot_complete_leaves_the_others_completed(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    smtp_server: SmtpServer,
) -> None:
    settings, engine = store
    first = add_request(engine, "access", 1)
    # Asked for a passphrase-encrypted package whose passphrase is no longer kept.
    broken = add_request(engine, "access", 2, package_encryption="passphrase")
    last = add_request(engine, "erasure", 4)
    reports = {
        r.request_id: r
        for r in run_requests(engine, [first, broken, last], settings=settings, datamap=shop_map)
    }
    assert reports[first].status == reports[last].status == "completed"
    assert reports[broken].status == "failed"
    assert "passphrase is no longer kept" in reports[broken].message
    assert status_of(engine, first).status == status_of(engine, last).status == "completed"
    failed = status_of(engine, broken)
    assert failed.status == "failed" and not (failed.result or {}).get("export_id")
    # The failed request's savepoint took its completion entries with it; the chain is whole.
    assert not any(
        a.startswith("request.status_changed:completed") for a in _actions(engine, broken)
    )
    assert "request.status_changed:completed" in _actions(engine, first)
    assert "request.status_changed:failed" in _actions(engine, broken)
    with unit_of_work(engine) as session:
        assert audit.verify(session).ok
    # One completion letter each for the two that completed, none for the failed one.
    for n in (1, 4):
        assert len(smtp_server.mailbox.to(shop.email(n))) == 1
    assert smtp_server.mailbox.to(shop.email(2)) == []


def test_a_package_the_disk_refuses_sends_the_batch_request_by_request(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, engine = store
    ids = [add_request(engine, "access", 1), add_request(engine, "access", 3)]
    real_fsync, failed = os.fsync, []

    def once_broken(fd: int) -> None:
        if not failed:
            failed.append(fd)
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", once_broken)
    with statements(engine, "SAVEPOINT") as seen:
        reports = run_requests(engine, ids, settings=settings, datamap=shop_map)
    assert failed and seen, "the batch attempt failed; the second isolated each request"
    assert {r.status for r in reports} == {"completed"}
    # The first attempt's packages were discarded; each request's own is there, whole.
    exports = {(status_of(engine, rid).result or {})["export_id"] for rid in ids}
    assert {name.split(".")[0] for name in _packages(settings)} == exports
    for path in (settings.data_dir / "exports").iterdir():
        assert path.read_bytes()[:2] == b"PK"
