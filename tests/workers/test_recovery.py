"""What users of queue-based peers report, each with a test: a request stuck "in processing"
after its worker died, a lost message, a message delivered twice, and re-queue loops."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.execution import repository as execution_repository
from ombud.models.audit import AuditEntry
from ombud.models.execution import ExecutionStep
from ombud.models.mail import OutboxMail
from ombud.models.requests import PrivacyRequest
from ombud.workers import tasks
from ombud.workers.celery_app import RUN_REQUESTS, celery_app
from ombud.workers.dispatch import dispatcher, requeue
from tests.execution import shop
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.statements import statements
from tests.workers.conftest import Broker
from tests.workers.helpers import add_request, crash_run, dead_worker, prepare_shop


def _with_broker(settings: Settings, broker: Broker) -> Settings:
    return settings.model_copy(
        update={
            "broker_url": broker.url,
            "broker_queue": broker.queue,
            "redis_prefix": broker.prefix,
        }
    )


def _queued(settings: Settings) -> list[tuple[str, list[str]]]:
    """Take every message off the test queue: (task name, ids)."""
    out: list[tuple[str, list[str]]] = []
    with celery_app(settings).connection_for_read() as conn:
        queue = conn.SimpleQueue(settings.broker_queue)
        try:
            while True:
                try:
                    message = queue.get(timeout=1)
                except queue.Empty:
                    return out
                body: Any = message.decode()
                out.append((str(message.headers["task"]), list(body[0][0])))
                message.ack()
        finally:
            queue.close()


def _request(engine: Engine, rid: str) -> PrivacyRequest:
    with unit_of_work(engine) as session:
        found = session.get(PrivacyRequest, rid)
        assert found is not None
        return found


def test_request_stuck_in_processing_after_its_worker_died_is_requeued(
    broker: Broker, store: tuple[Settings, Engine]
) -> None:
    settings, engine = store
    settings = _with_broker(settings, broker)
    rid = add_request(engine, "erasure", 1)
    crash_run(engine, rid, attempts=1, worker=dead_worker())
    assert requeue(engine, settings) == [rid]
    assert dispatcher(settings).backlog() == 1
    # Still queued: the next round does not send it again.
    assert requeue(engine, settings) == []
    assert _queued(settings) == [(RUN_REQUESTS, [rid])]


def test_lost_message_is_found_in_the_store(broker: Broker, store: tuple[Settings, Engine]) -> None:
    settings, engine = store
    settings = _with_broker(settings, broker)
    # Approved, but the message after the approval never reached the broker.
    ids = sorted(add_request(engine, "access", n) for n in (1, 2))
    assert sorted(requeue(engine, settings)) == ids
    assert _queued(settings) == [(RUN_REQUESTS, ids)]


def test_requeue_loop_ends_in_a_visible_failure_with_the_reason(
    broker: Broker, store: tuple[Settings, Engine]
) -> None:
    settings, engine = store
    settings = _with_broker(settings, broker)
    rid = add_request(engine, "erasure", 1)
    crash_run(engine, rid, attempts=settings.execution_max_attempts, worker=dead_worker())
    assert requeue(engine, settings) == []
    assert _queued(settings) == []
    request = _request(engine, rid)
    assert request.status == "failed"
    with unit_of_work(engine) as session:
        run = execution_repository.get_run(session, rid)
        assert run is not None and run.phase == "failed"
        assert run.error is not None and "stopped after 5 attempts" in run.error
        actions = [
            e.data.get("to")
            for e in session.scalars(select(AuditEntry).where(AuditEntry.subject_id == rid))
        ]
    assert actions[-1] == "failed"


def test_redelivered_message_past_the_limit_fails_instead_of_running(
    store: tuple[Settings, Engine],
) -> None:
    settings, engine = store
    rid = add_request(engine, "erasure", 1)
    crash_run(engine, rid, attempts=settings.execution_max_attempts, worker=dead_worker())
    assert tasks.run_requests(engine, settings, [rid]) == []
    assert _request(engine, rid).status == "failed"


def test_a_message_for_runnable_work_reads_no_runs_before_its_claim(
    store: tuple[Settings, Engine], smtp_server: SmtpServer, tmp_path: Any, monkeypatch: Any
) -> None:
    settings, engine = store
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    target = create_engine(url)
    monkeypatch.setenv(shop.URL_VAR, url)
    prepare_shop(engine, target, 2)
    rid = add_request(engine, "erasure", 1)
    with statements(engine, "SELECT", "FROM execution_runs") as reads:
        assert tasks.run_requests(engine, settings, [rid]) == [rid]
    # Only the claim's and the completion's reads (each locking the run): the retry limit is
    # checked by the claim, not by a read of every message's runs before it (a third).
    assert len(reads) == 2, reads
    assert _request(engine, rid).status == "completed"
    target.dispose()


def _completions(session: Session, rid: str) -> int:
    entries = session.scalars(select(AuditEntry).where(AuditEntry.subject_id == rid))
    return sum(1 for e in entries if e.data.get("to") == "completed")


def test_duplicated_message_does_the_work_once(
    store: tuple[Settings, Engine], smtp_server: SmtpServer, tmp_path: Any, monkeypatch: Any
) -> None:
    settings, engine = store
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    target = create_engine(url)
    monkeypatch.setenv(shop.URL_VAR, url)
    prepare_shop(engine, target, 4)
    ids = [add_request(engine, "erasure", n) for n in (1, 2)]
    done: list[list[str]] = []
    # The same message twice at once (a broker redelivery racing the first copy), then again.
    copies = [
        threading.Thread(target=lambda: done.append(tasks.run_requests(engine, settings, ids)))
        for _ in range(2)
    ]
    for t in copies:
        t.start()
    for t in copies:
        t.join()
    after_first = shop.snapshot(target)
    assert tasks.run_requests(engine, settings, ids) == []
    assert shop.snapshot(target) == after_first
    assert sorted(rid for part in done for rid in part) == sorted(ids)
    with unit_of_work(engine) as session:
        for rid in ids:
            assert _completions(session, rid) == 1
            steps = session.scalar(
                select(func.count())
                .select_from(ExecutionStep)
                .where(ExecutionStep.request_id == rid)
            )
            assert steps and steps < 20
        letters = session.scalar(select(func.count()).select_from(OutboxMail))
    assert letters == 2
    for n in (1, 2):
        assert len(smtp_server.mailbox.to(shop.email(n))) == 1
    target.dispose()


def test_embedded_runner_keeps_the_same_retry_limit(store: tuple[Settings, Engine]) -> None:
    from ombud.execution.worker import BackgroundRunner

    settings, engine = store
    rid = add_request(engine, "erasure", 1)
    crash_run(engine, rid, attempts=settings.execution_max_attempts, worker=dead_worker())
    assert BackgroundRunner(engine, settings).run_once() == []
    assert _request(engine, rid).status == "failed"


def test_a_named_run_leaves_a_run_past_the_retry_limit_to_the_look_for_work(
    store: tuple[Settings, Engine],
) -> None:
    from ombud.execution.worker import BackgroundRunner

    settings, engine = store
    rid = add_request(engine, "erasure", 1)
    crash_run(engine, rid, attempts=settings.execution_max_attempts, worker=dead_worker())
    runner = BackgroundRunner(engine, settings)
    (report,) = runner.run_named([rid])
    limit = settings.execution_max_attempts
    assert (report.status, report.message) == ("skipped", f"stopped after {limit} attempts")
    assert _request(engine, rid).status == "in_progress"
    assert runner.run_once() == []  # its look for work fails it, with the reason
    assert _request(engine, rid).status == "failed"


def test_the_runner_runs_named_requests_without_looking_for_work(
    store: tuple[Settings, Engine], tmp_path: Any, monkeypatch: Any
) -> None:
    from ombud.execution import worker

    settings, engine = store
    settings = settings.model_copy(update={"execution_interval_seconds": 600.0})
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    monkeypatch.setenv(shop.URL_VAR, url)
    prepare_shop(engine, create_engine(url), 2)
    looks: list[int] = []
    real = worker.runnable_ids

    def counted(*args: Any, **kwargs: Any) -> list[str]:
        looks.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(worker, "runnable_ids", counted)
    runner = worker.BackgroundRunner(engine, settings)
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while not looks and time.monotonic() < deadline:  # the look at start
            time.sleep(0.01)
        rid = add_request(engine, "access", 1)
        runner.wake([rid])
        while _request(engine, rid).status != "completed" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop()
    assert _request(engine, rid).status == "completed"
    assert len(looks) == 1  # the interval is ten minutes: only the first look ran
