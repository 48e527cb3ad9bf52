"""The mail outbox: sent after the commit, once; a rollback sends nothing; a crash loses nothing."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import after_commit, session_factory, unit_of_work
from ombud.models.mail import OutboxMail
from ombud.outbox import service as outbox
from tests.fixtures.api import Clock
from tests.fixtures.smtp import Mailbox, SmtpServer


def _rows(engine: Engine) -> list[OutboxMail]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(OutboxMail).order_by(OutboxMail.created_at)))


def test_sent_once_after_the_commit(
    store: Engine, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    with unit_of_work(store) as session:
        outbox.enqueue(session, mail_settings, to="kim@example.test", subject="Hi", text="code 1")
        assert smtp_server.mailbox.messages == []  # not before the commit
    (msg,) = smtp_server.mailbox.to("kim@example.test")
    assert msg["Subject"] == "Hi"
    (row,) = _rows(store)
    assert row.status == "sent" and row.body is None and row.message_id == msg["Message-ID"]
    assert outbox.drain(store, mail_settings).sent == 0
    assert len(smtp_server.mailbox.messages) == 1


def test_rollback_sends_nothing(
    store: Engine, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    with pytest.raises(RuntimeError), unit_of_work(store) as session:
        outbox.enqueue(session, mail_settings, to="kim@example.test", subject="Hi", text="x")
        raise RuntimeError("the change fails after the letter was queued")
    assert _rows(store) == []
    assert outbox.drain(store, mail_settings).sent == 0
    assert smtp_server.mailbox.messages == []


def test_crash_between_commit_and_send_sends_once_after_restart(
    store: Engine, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    session = session_factory(store)()
    outbox.enqueue(session, mail_settings, to="kim@example.test", subject="Hi", text="body")
    session.commit()  # committed, then the process dies before its after-commit work
    session.info.pop("after_commit")
    session.close()
    assert smtp_server.mailbox.messages == []
    # The restarted server (or `ombud mail send`) drains the queue.
    assert outbox.drain(store, mail_settings).sent == 1
    assert outbox.drain(store, mail_settings).sent == 0
    (msg,) = smtp_server.mailbox.to("kim@example.test")
    assert Mailbox.text(msg).strip() == "body"


def test_sender_dead_mid_send_is_replaced_after_the_lease(
    store: Engine, mail_settings: Settings, smtp_server: SmtpServer, frozen_clock: Clock
) -> None:
    session = session_factory(store)()
    row = outbox.enqueue(session, mail_settings, to="kim@example.test", subject="S", text="b")
    session.commit()
    session.info.pop("after_commit")
    session.close()
    # A sender claims it and dies before recording the outcome.
    with unit_of_work(store) as s:
        claimed = outbox.repository.claim(
            s, now=utcnow(), stale_before=utcnow() - outbox.LEASE, worker="gone:1:1"
        )
        assert [c.id for c in claimed] == [row.id]
    assert outbox.drain(store, mail_settings).sent == 0  # still leased
    frozen_clock.advance(minutes=11)
    assert outbox.drain(store, mail_settings).sent == 1
    (msg,) = smtp_server.mailbox.messages
    assert msg["Message-ID"] == row.message_id  # the same message, recognisably


def test_unreachable_server_retries_later(
    store: Engine,
    mail_settings: Settings,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    down = mail_settings.model_copy(update={"smtp_port": 1})
    with unit_of_work(store) as session:
        outbox.enqueue(session, down, to="kim@example.test", subject="S", text="b")
    (row,) = _rows(store)
    assert row.status == "pending" and row.attempts == 1 and row.body == "b"
    assert "127.0.0.1:1" in (row.last_error or "")
    assert outbox.drain(store, mail_settings).sent == 0  # not due yet
    frozen_clock.advance(minutes=2)
    assert outbox.drain(store, mail_settings).sent == 1
    assert len(smtp_server.mailbox.messages) == 1


def test_gives_up_after_max_attempts(
    store: Engine, mail_settings: Settings, frozen_clock: Clock
) -> None:
    down = mail_settings.model_copy(update={"smtp_port": 1})
    with unit_of_work(store) as session:
        outbox.enqueue(session, down, to="kim@example.test", subject="S", text="b")
    for _ in range(outbox.MAX_ATTEMPTS):
        frozen_clock.advance(hours=7)
        outbox.drain(store, down)
    (row,) = _rows(store)
    assert row.status == "failed" and row.attempts == outbox.MAX_ATTEMPTS
    with unit_of_work(store) as session:
        assert outbox.status(session) == {"failed": 1}


def test_sending_after_the_commit_counts_attempts_made_meanwhile(
    store: Engine, mail_settings: Settings
) -> None:
    down = mail_settings.model_copy(update={"smtp_port": 1})

    def tried_meanwhile() -> None:
        # Another sender took the letter between the commit and this session's send, and
        # failed every time but once: the send that follows is the last one allowed.
        with unit_of_work(store) as other:
            other.execute(update(OutboxMail).values(attempts=outbox.MAX_ATTEMPTS - 1))

    with unit_of_work(store) as session:
        after_commit(session, tried_meanwhile)  # runs before the outbox's own send
        outbox.enqueue(session, down, to="kim@example.test", subject="S", text="b")
    (row,) = _rows(store)
    # The committed session's copy of the row said 0 attempts; the store's count is the one.
    assert row.attempts == outbox.MAX_ATTEMPTS and row.status == "failed"


def test_parallel_senders_send_each_letter_once(
    store: Engine, mail_settings: Settings, smtp_server: SmtpServer
) -> None:
    session: Session = session_factory(store)()
    for i in range(12):
        outbox.enqueue(session, mail_settings, to=f"p{i}@example.test", subject="S", text="b")
    session.commit()
    session.info.pop("after_commit")
    session.close()
    threads = [
        threading.Thread(target=outbox.drain, args=(store, mail_settings), kwargs={"limit": 3})
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = sorted(str(m["Message-ID"]) for m in smtp_server.mailbox.messages)
    assert len(ids) == 12 and len(set(ids)) == 12
    assert all(r.status == "sent" for r in _rows(store))


def test_outbox_folder_is_a_delivery_mode(store: Engine, mail_settings: Settings) -> None:
    folder = mail_settings.data_dir / "outbox"
    to_folder = mail_settings.model_copy(update={"mail_outbox": folder})
    with unit_of_work(store) as session:
        outbox.enqueue(session, to_folder, to="kim@example.test", subject="S", text="b")
    assert len(list(folder.glob("*.eml"))) == 1
    assert _rows(store)[0].status == "sent"
