"""With a broker, letters are sent by the workers: a message after the commit, the row claimed
by one sender, retried with backoff when the mail server is away."""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.models.mail import OutboxMail
from ombud.outbox import service as outbox
from ombud.workers import tasks
from ombud.workers.celery_app import SEND_MAIL
from tests.fixtures.smtp import SmtpServer
from tests.workers.conftest import Broker
from tests.workers.test_recovery import _queued, _with_broker


def _queue(engine: Engine, settings: Settings, to: str) -> str:
    with unit_of_work(engine) as session:
        row = outbox.enqueue(session, settings, to=to, subject="Your request", text="done")
        return row.id


def test_letter_goes_to_the_workers_and_is_sent_once(
    broker: Broker, store: tuple[Settings, Engine], smtp_server: SmtpServer
) -> None:
    settings, engine = store
    settings = _with_broker(settings, broker)
    mail_id = _queue(engine, settings, "kim@example.test")
    assert smtp_server.mailbox.messages == []  # not sent by the API process
    assert _queued(settings) == [(SEND_MAIL, [mail_id])]
    # The message twice at once (a redelivery racing the first copy): one letter.
    sent: list[int] = []
    copies = [
        threading.Thread(target=lambda: sent.append(tasks.send_mail(engine, settings, [mail_id])))
        for _ in range(2)
    ]
    for t in copies:
        t.start()
    for t in copies:
        t.join()
    assert sorted(sent) == [0, 1]
    assert len(smtp_server.mailbox.to("kim@example.test")) == 1
    with unit_of_work(engine) as session:
        row = session.get(OutboxMail, mail_id)
        assert row is not None and row.status == "sent" and row.body is None


def test_mail_server_away_the_letter_waits_with_backoff(store: tuple[Settings, Engine]) -> None:
    settings, engine = store
    settings = settings.model_copy(update={"smtp_port": 1})  # nothing listens there
    mail_id = _queue(engine, settings.model_copy(update={"broker_url": None}), "bo@example.test")
    assert tasks.send_mail(engine, settings, [mail_id]) == 0
    with unit_of_work(engine) as session:
        row = session.get(OutboxMail, mail_id)
        assert row is not None and row.status == "pending" and row.attempts == 1
        assert row.next_attempt_at > row.created_at and row.last_error
