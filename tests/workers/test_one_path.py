"""Work done in one place only: old mail is deleted by the retention rule ``ombud.mail`` (not
by housekeeping), and manual tasks are opened by the request workflow alone, never twice."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from sqlalchemy import Engine, func, select, text

from ombud import housekeeping
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.execution.tasks import run_requests
from ombud.models.mail import OutboxMail
from ombud.models.manual import ManualTask
from ombud.models.requests import PrivacyRequest
from ombud.retention import own
from tests.dsr.demo import DemoSystem, demo_system
from tests.dsr.rights import grant, submit

__all__ = ["demo_system"]


def _mail(status: str, age: timedelta) -> OutboxMail:
    when = utcnow() - age
    return OutboxMail(
        to="old@example.com",
        subject="Old letter",
        body="text",
        headers={},
        message_id=f"<{status}-{age.days}@test>",
        status=status,
        attempts=1,
        next_attempt_at=when,
        sent_at=when if status == "sent" else None,
        created_at=when,
    )


def _outbox(engine: Engine) -> list[tuple[str, str]]:
    with unit_of_work(engine) as session:
        rows = session.execute(select(OutboxMail.status, OutboxMail.message_id)).all()
        return sorted((str(s), str(m)) for s, m in rows)


def test_old_mail_is_left_to_the_retention_rule(store: tuple[Settings, Engine]) -> None:
    settings, engine = store
    keep = timedelta(days=settings.retention_mail_days)
    with unit_of_work(engine) as session:
        session.add_all(
            [
                _mail("sent", keep + timedelta(days=2)),
                _mail("failed", keep + timedelta(days=3)),
                _mail("sent", timedelta(days=1)),
            ]
        )
    before = _outbox(engine)
    assert len(before) == 3
    housekeeping.run_once(engine, settings)
    assert _outbox(engine) == before  # housekeeping deletes no mail any more

    (outcome,) = own.run(
        partial(unit_of_work, engine), "test", rule="ombud.mail", settings=settings
    )
    assert outcome.status == "completed", outcome.error
    assert outcome.changed is not None and outcome.changed["mail_outbox"] == 2
    assert _outbox(engine) == [("sent", "<sent-1@test>")]


def _tasks(demo: DemoSystem, rid: str) -> dict[str, int]:
    with unit_of_work(demo.store) as session:
        rows = session.execute(
            select(ManualTask.system_key, func.count())
            .where(ManualTask.request_id == rid)
            .group_by(ManualTask.system_key)
        ).all()
        return {str(k): int(n) for k, n in rows}


def _opened(demo: DemoSystem, rid: str) -> int:
    """How many ``manual.task_opened`` audit entries this request has."""
    with demo.store.connect() as conn:
        found = conn.scalar(
            text(
                "SELECT count(*) FROM audit_entries WHERE action = 'manual.task_opened' "
                "AND subject_id = :r"
            ),
            {"r": rid},
        )
        return int(found or 0)


SYSTEMS = 2  # the demo's help desk and mailing service have no connector


def test_a_request_never_gets_duplicate_manual_tasks(demo_system: DemoSystem) -> None:
    demo = demo_system
    email = demo.victim().email
    # Access: approved by staff (tasks opened), then claimed and run twice by the runner.
    rid = submit(demo, type="access", email=email, country="DE")["id"]
    demo.verify(rid, email)
    res = demo.client.post(f"/api/v1/requests/{rid}/approve", headers=demo.officer, json={})
    assert res.status_code == 200, res.text
    first = _tasks(demo, rid)
    assert len(first) == SYSTEMS and set(first.values()) == {1}
    for _ in range(2):
        (report,) = run_requests(demo.store, [rid], settings=demo.settings)
        assert report.status in ("waiting", "skipped"), report
    assert _tasks(demo, rid) == first and _opened(demo, rid) == SYSTEMS

    # A withdrawal is carried out at once: its tasks are opened once, reopening adds none.
    grant(demo, email, "newsletter")
    wid = submit(demo, type="withdraw_consent", email=email, jurisdiction="gdpr")["id"]
    demo.verify(wid, email)  # answers the owners' tasks too
    assert demo.request(wid).status == "completed"
    res = demo.client.post(
        f"/api/v1/requests/{wid}/reopen", json={"reason": "asked again"}, headers=demo.officer
    )
    assert res.status_code == 200 and res.json()["status"] == "approved", res.text
    res = demo.client.post(f"/api/v1/requests/{wid}/run", headers=demo.officer)
    assert res.status_code == 200, res.text
    counts = _tasks(demo, wid)
    assert len(counts) == SYSTEMS and set(counts.values()) == {1}
    assert _opened(demo, wid) == SYSTEMS


def test_an_approved_row_from_before_gets_its_tasks_once_when_it_starts(
    demo_system: DemoSystem,
) -> None:
    demo = demo_system
    email = demo.victim().email
    with unit_of_work(demo.store) as session:  # approved without the workflow, as before
        now = utcnow()
        row = PrivacyRequest(
            type="access",
            status="approved",
            jurisdiction="gdpr",
            email=email,
            identities={"email": email},
            received_at=now,
            received_on=now.date(),
        )
        session.add(row)
        session.flush()
        rid = row.id
    assert _tasks(demo, rid) == {}
    for _ in range(2):
        run_requests(demo.store, [rid], settings=demo.settings)
    counts = _tasks(demo, rid)
    assert len(counts) == SYSTEMS and set(counts.values()) == {1}
    assert _opened(demo, rid) == SYSTEMS
    demo.answer_tasks(rid)
    run_requests(demo.store, [rid], settings=demo.settings)
    assert demo.request(rid).status == "completed"
    assert _tasks(demo, rid) == counts
