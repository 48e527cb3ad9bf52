"""Owners are reminded before the deadline and officers told of overdue tasks, each once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Engine

from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.housekeeping import run_once
from ombud.manual import service
from ombud.models.requests import PrivacyRequest
from ombud.staff import service as staff_service
from tests.fixtures.api import Clock
from tests.fixtures.smtp import Mailbox, SmtpServer
from tests.manual.conftest import OWNER

OFFICER = "officer@staff.test"


def test_reminder_then_escalation_once_each(
    store: tuple[Settings, Engine],
    shop_map: DataMap,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    settings, engine = store
    today = frozen_clock.now.date()
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=shop_map, files={}, author="test")
        staff_service.create_user(
            session, email=OFFICER, password="long enough secret", role="privacy_officer"
        )
        request = PrivacyRequest(
            type="restriction",
            status="approved",
            jurisdiction="gdpr",
            email="person@shop.test",
            identities={"email": "person@shop.test"},
            received_at=frozen_clock.now,
            received_on=today,
            due_on=today + timedelta(days=10),
        )
        session.add(request)
        session.flush()
        (task,) = service.open_for_request(session, settings, request, actor="test")
        assert task.action == "restrict"
    box = smtp_server.mailbox
    assert len(box.to(OWNER)) == 1

    run_once(engine, settings)  # ten days left: no reminder yet
    assert len(box.to(OWNER)) == 1 and escalations(box) == []

    frozen_clock.advance(days=8)
    run_once(engine, settings)
    run_once(engine, settings)
    reminders = [m for m in box.to(OWNER) if str(m["Subject"]).startswith("Reminder")]
    assert len(reminders) == 1 and "/tasks/" in Mailbox.text(reminders[0])
    assert escalations(box) == []

    frozen_clock.advance(days=3)
    run_once(engine, settings)
    run_once(engine, settings)
    # The officer also gets the daily digest of deadlines (notify); the escalation is its own.
    (escalation,) = escalations(box)
    assert "overdue" in str(escalation["Subject"])
    assert "person@shop.test" not in Mailbox.text(escalation)
    assert len(box.to(OWNER)) == 2

    # An expired link is a clear 410, whatever else is right about it.
    link = service.links.url(settings, task.id, task.link_version)
    frozen_clock.advance(days=settings.manual_task_link_days + 1)
    with unit_of_work(engine) as session:
        try:
            service.from_link(session, settings, link.rsplit("/", 1)[1])
        except service.Gone as exc:
            assert "expired" in exc.message
        else:
            raise AssertionError("an expired link was accepted")


def escalations(box: Mailbox) -> list[Any]:
    """Mail to the officer about an overdue manual task (not the daily deadline digest)."""
    return [m for m in box.to(OFFICER) if "task" in str(m["Subject"]).lower()]
