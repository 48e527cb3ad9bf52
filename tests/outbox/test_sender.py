"""The runner's letters: many per transaction leave in one claim over one SMTP connection, in
the order they were queued; handed to the sender thread they are sent once each, and a sender
that never ran leaves them queued for the next drain."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.models.mail import OutboxMail
from ombud.outbox import service as outbox
from ombud.outbox.sender import MailSender, current, handing_off
from tests.fixtures.smtp import SmtpServer
from tests.fixtures.statements import statements


def _queue(engine: Engine, settings: Settings, n: int) -> None:
    with unit_of_work(engine) as session:
        for i in range(n):
            outbox.enqueue(session, settings, to=f"p{i}@example.test", subject=f"#{i}", text="x")


def _statuses(engine: Engine) -> list[str]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(OutboxMail.status)))


def test_a_transactions_letters_leave_together_in_order(
    store: Engine, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    with statements(store, "UPDATE mail_outbox") as updates:
        _queue(store, mail_settings, 45)
    subjects = [m["Subject"] for m in smtp_server.mailbox.messages]
    assert subjects == [f"#{i}" for i in range(45)]  # each once, in the order queued
    # One claim; sent ones recorded every RECORD_EVERY letters, not one UPDATE per letter.
    assert len(updates) == 1 + -(-45 // outbox.RECORD_EVERY)
    assert _statuses(store) == ["sent"] * 45


def test_handed_over_letters_are_sent_by_the_sender_thread_once(
    store: Engine, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    sender = MailSender(store, mail_settings)
    sender.start()
    with handing_off(sender):
        assert current() is sender
        _queue(store, mail_settings, 3)
        _queue(store, mail_settings, 2)
    assert current() is None
    sender.stop()  # sends what was handed over before it ends
    assert sorted(m["Subject"] for m in smtp_server.mailbox.messages) == [
        "#0",
        "#0",
        "#1",
        "#1",
        "#2",
    ]
    assert _statuses(store) == ["sent"] * 5
    assert outbox.drain(store, mail_settings).sent == 0


def test_letters_a_dead_sender_never_sent_wait_for_the_next_drain(
    store: Engine, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    dead = MailSender(store, mail_settings)  # never started: as if the process died
    with handing_off(dead):
        _queue(store, mail_settings, 2)
    assert smtp_server.mailbox.messages == []
    assert _statuses(store) == ["pending"] * 2
    assert outbox.drain(store, mail_settings).sent == 2
    assert len(smtp_server.mailbox.messages) == 2
