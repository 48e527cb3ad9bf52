"""A batch completes in one transaction, a savepoint per request: one request that cannot
complete is failed with the reason, its savepoint takes its records and audit entries with it,
and the others of the batch complete with one letter each."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ombud.audit import service as audit
from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.execution.tasks import run_requests
from ombud.models.audit import AuditEntry
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.fixtures.smtp import SmtpServer


def _actions(engine: Engine, request_id: str) -> list[str]:
    with unit_of_work(engine) as session:
        stmt = select(AuditEntry).where(AuditEntry.subject_id == request_id)
        return [f"{e.action}:{e.data.get('to', '')}" for e in session.scalars(stmt)]


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
