"""A batch named by its approval that only reads (access requests on their first attempt) is
claimed, read and completed in one store transaction on PostgreSQL; any other batch, any
failure and any other store take the ordinary way: the claim committed first."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from ombud.audit import service as audit
from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.errors import OmbudError
from ombud.execution import claiming, completion, finishing, runner, tasks
from ombud.execution.tasks import run_requests
from ombud.execution.worker import BackgroundRunner
from ombud.models.audit import AuditEntry
from ombud.models.execution import ExecutionRun
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.execution.test_worker import _apply_reachable_shop_map
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.statements import statements

# The target's engine does not matter here: the store's transactions do.
pytestmark = pytest.mark.parametrize("target", ["sqlite"], indirect=True)


def _one_transaction_store(store_kind: str) -> None:
    if store_kind != "postgresql":
        pytest.skip("one transaction for claim and completion is for a PostgreSQL store only")


def _actions(engine: Engine, request_id: str) -> list[str]:
    with unit_of_work(engine) as session:
        stmt = select(AuditEntry.action).where(AuditEntry.subject_id == request_id)
        return list(session.scalars(stmt.order_by(AuditEntry.seq)))


def _run_of(engine: Engine, request_id: str) -> ExecutionRun | None:
    with unit_of_work(engine) as session:
        return session.scalar(select(ExecutionRun).where(ExecutionRun.request_id == request_id))


def _packages(settings: Settings) -> list[str]:
    folder = settings.data_dir / "exports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _seen_while_reading(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> list[str]:
    """Record, from another session, the request's status while the targets are read."""
    seen: list[str] = []
    execute = runner.execute_batch

    def watching(plan: Any, specs: Any, **kw: Any) -> Any:
        seen.extend(status_of(engine, s.id).status for s in specs)
        return execute(plan, specs, **kw)

    monkeypatch.setattr(tasks, "execute_batch", watching)  # as tasks calls it
    return seen


def _first_letter_fails(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the first request's completion fail (after its package was written), the next
    ones complete; the ids of the requests completion was tried for."""
    finish, calls = completion.finish, []

    def fails_once(session: Any, spec: Any, result: Any, *, actor: str) -> None:
        calls.append(spec.id)
        if len(calls) == 1:
            raise OmbudError("the letter cannot be written")
        finish(session, spec, result, actor=actor)

    monkeypatch.setattr(finishing, "finish", fails_once)
    return calls


def test_an_approved_access_request_is_claimed_and_completed_in_one_transaction(
    target: Target,
    store: tuple[Settings, Engine],
    store_kind: str,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _one_transaction_store(store_kind)
    settings, engine = store
    _apply_reachable_shop_map(engine)  # the runner reads the map in force
    ordinary, named = add_request(engine, "access", 1), add_request(engine, "access", 2)
    (report,) = run_requests(engine, [ordinary], settings=settings)
    assert report.status == "completed"
    seen = _seen_while_reading(monkeypatch, engine)
    background = BackgroundRunner(engine, settings.model_copy(update={"execute_in_server": True}))
    with (
        statements(engine, "SELECT", "FOR UPDATE") as locks,
        statements(engine, "UPDATE privacy_requests") as request_updates,
        statements(engine, "", "execution_runs") as run_writes,
    ):
        (report,) = background.run_named([named])
    assert report.status == "completed", report
    # Written once at the end: the request from approved to completed in one update (not
    # one per status it passed through), its run inserted as it ended (not updated after).
    assert len(request_updates) == 1 and "closed_at" in request_updates[0]
    writes = [
        w.split()[0].upper() for w in run_writes if not w.lstrip().upper().startswith("SELECT")
    ]
    assert writes == ["INSERT"]
    # Nobody else saw the claim before the commit, and the rows were locked once.
    assert seen == ["approved"]
    # The request, then its run (none yet): at the claim only.
    tables = [lock.split("FROM ")[1].split()[0] for lock in locks]
    assert [t for t in tables if t != "mail_outbox"] == ["privacy_requests", "execution_runs"]
    done = status_of(engine, named)
    assert done.status == "completed" and (done.result or {}).get("export_id")
    assert [name.split(".")[0] for name in _packages(settings)] == sorted(
        str((status_of(engine, rid).result or {})["export_id"]) for rid in (ordinary, named)
    )
    # The same record as the ordinary way, and the chain holds.
    assert _actions(engine, named) == _actions(engine, ordinary)
    run = _run_of(engine, named)
    assert run is not None and run.attempts == 1 and run.phase == "completed"
    # Its letter left after the commit, as the ordinary way's did.
    assert len(smtp_server.mailbox.to(shop.email(2))) == len(smtp_server.mailbox.to(shop.email(1)))
    assert smtp_server.mailbox.to(shop.email(2))
    with unit_of_work(engine) as session:
        assert audit.verify(session, settings).ok


def test_other_stores_and_batches_commit_the_claim_first(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    store_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, engine = store
    seen = _seen_while_reading(monkeypatch, engine)
    access = add_request(engine, "access", 1)
    reports = run_requests(engine, [access], settings=settings, datamap=shop_map, at_once=True)
    assert [r.status for r in reports] == ["completed"]
    # SQLite's one writer would wait for the reads: the claim is committed first there.
    assert seen == (["approved"] if store_kind == "postgresql" else ["in_progress"])
    # A batch that writes to a target journals its steps against a committed claim.
    seen.clear()
    erasure, reading = add_request(engine, "erasure", 4), add_request(engine, "access", 5)
    reports = run_requests(
        engine, [erasure, reading], settings=settings, datamap=shop_map, at_once=True
    )
    assert {r.status for r in reports} == {"completed"}
    assert seen == ["in_progress", "in_progress"]


def test_a_retried_access_request_takes_the_ordinary_way(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    store_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _one_transaction_store(store_kind)
    settings, engine = store
    rid = add_request(engine, "access", 1)
    with unit_of_work(engine) as session:  # an earlier attempt's run, failed
        claimed = claiming.claim_in(session, [rid], actor="test", settings=settings)
        assert claimed.specs
    claiming.fail(engine, claimed.specs, "the target was down", "test")
    seen = _seen_while_reading(monkeypatch, engine)
    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map, at_once=True)
    assert report.status == "completed"
    assert seen == ["in_progress"]
    run = _run_of(engine, rid)
    assert run is not None and run.attempts == 2


def test_a_failure_rolls_everything_back_and_runs_the_batch_the_ordinary_way(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    store_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _one_transaction_store(store_kind)
    settings, engine = store
    rid = add_request(engine, "access", 1)
    calls = _first_letter_fails(monkeypatch)  # after the package was written
    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map, at_once=True)
    assert report.status == "completed" and calls == [rid, rid]
    # The first attempt left nothing: one claim counted, one package, one record of each.
    run = _run_of(engine, rid)
    assert run is not None and run.attempts == 1
    export_id = (status_of(engine, rid).result or {})["export_id"]
    assert [name.split(".")[0] for name in _packages(settings)] == [export_id]
    actions = _actions(engine, rid)
    assert (actions.count("request.status_changed"), actions.count("request.message_sent")) == (
        2,
        1,
    )


def test_a_target_that_fails_leaves_the_request_failed_with_the_reason(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    store_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _one_transaction_store(store_kind)
    settings, engine = store
    rid = add_request(engine, "access", 1)

    def down(*_a: Any, **_k: Any) -> Any:
        raise OmbudError("shop: connection refused")

    monkeypatch.setattr(tasks, "execute_batch", down)
    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map, at_once=True)
    assert (report.status, report.message) == ("failed", "shop: connection refused")
    failed = status_of(engine, rid)
    assert failed.status == "failed"
    run = _run_of(engine, rid)
    assert run is not None and run.attempts == 1 and run.error == "shop: connection refused"


class _Killed(BaseException):
    """Stands for the process dying: nothing catches it."""


def test_a_crash_leaves_the_request_approved_for_the_ordinary_way(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    store_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _one_transaction_store(store_kind)
    settings, engine = store
    rid = add_request(engine, "access", 1)

    def killed(*_a: Any, **_k: Any) -> Any:
        raise _Killed

    with monkeypatch.context() as patch:
        patch.setattr(tasks, "execute_batch", killed)
        with pytest.raises(_Killed):
            run_requests(engine, [rid], settings=settings, datamap=shop_map, at_once=True)
    assert status_of(engine, rid).status == "approved"
    assert _run_of(engine, rid) is None and _actions(engine, rid) == []
    # The next look for work runs it the ordinary way, which counts the attempt.
    reports = tasks.run_pending(engine, settings=settings, datamap=shop_map)
    assert [(r.request_id, r.status) for r in reports] == [(rid, "completed")]
    run = _run_of(engine, rid)
    assert run is not None and run.attempts == 1


def test_another_runner_skips_requests_held_by_one_transaction(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    store_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _one_transaction_store(store_kind)
    settings, engine = store
    rid = add_request(engine, "access", 1)
    other: list[Any] = []
    execute = runner.execute_batch

    def meanwhile(plan: Any, specs: Any, **kw: Any) -> Any:
        # Another runner (its own connection) looks while this one reads the targets.
        other.extend(run_requests(engine, [rid], settings=settings, datamap=shop_map))
        return execute(plan, specs, **kw)

    monkeypatch.setattr(tasks, "execute_batch", meanwhile)
    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map, at_once=True)
    assert report.status == "completed"
    assert [(r.status, r.message) for r in other] == [
        ("skipped", "being claimed by another runner")
    ]
    run = _run_of(engine, rid)
    assert run is not None and run.attempts == 1


def test_a_failure_deletes_no_package_but_those_of_the_requests_it_read_for(
    target: Target,
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    store_kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _one_transaction_store(store_kind)
    settings, engine = store
    done = add_request(engine, "access", 2)
    (report,) = run_requests(engine, [done], settings=settings, datamap=shop_map)
    assert report.status == "completed"
    kept = _packages(settings)
    rid = add_request(engine, "access", 1)
    _first_letter_fails(monkeypatch)
    # The completed request is named too (skipped by the claim): its package stays.
    reports = run_requests(engine, [rid, done], settings=settings, datamap=shop_map, at_once=True)
    assert {r.request_id: r.status for r in reports} == {rid: "completed", done: "skipped"}
    assert set(kept) < set(_packages(settings)) and len(_packages(settings)) == 2
