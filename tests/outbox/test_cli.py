"""``ombud mail send|status``, ``ombud requests purge-packages`` and the housekeeping round."""

from __future__ import annotations

from functools import partial

from typer.testing import CliRunner

from ombud import housekeeping
from ombud.cli.main import app
from ombud.config import get_settings
from ombud.db import get_engine, session_factory, unit_of_work
from ombud.execution import package
from ombud.outbox import service as outbox
from ombud.retention import own
from tests.fixtures.api import Clock
from tests.fixtures.smtp import SmtpServer

runner = CliRunner()


def _queue_and_crash(to: str) -> None:
    """Queue a message, commit, and die before the after-commit send."""
    session = session_factory(get_engine())()
    outbox.enqueue(session, get_settings(), to=to, subject="S", text="body")
    session.commit()
    session.info.pop("after_commit")
    session.close()


def test_mail_send_and_status(cli_store: str, smtp_server: SmtpServer) -> None:
    _queue_and_crash("kim@example.test")
    res = runner.invoke(app, ["mail", "status"])
    assert res.exit_code == 0, res.output
    assert "pending" in res.output and "1" in res.output
    res = runner.invoke(app, ["mail", "send"])
    assert res.exit_code == 0, res.output
    assert "sent 1" in res.output
    assert len(smtp_server.mailbox.to("kim@example.test")) == 1
    res = runner.invoke(app, ["mail", "send"])
    assert "sent 0" in res.output
    assert len(smtp_server.mailbox.messages) == 1


def test_requests_purge_packages(cli_store: str, frozen_clock: Clock) -> None:
    settings = get_settings()
    export = package.store(settings, "ab" * 20, b"PK")  # no request: a stray package
    res = runner.invoke(app, ["requests", "purge-packages"])
    assert res.exit_code == 0, res.output
    assert "deleted 1 expired access package(s)" in res.output
    assert not export.path.exists()


def test_housekeeping_round_sends_and_forgets(
    cli_store: str, smtp_server: SmtpServer, frozen_clock: Clock
) -> None:
    _queue_and_crash("bo@example.test")
    housekeeping.run_once(get_engine(), get_settings())
    assert len(smtp_server.mailbox.to("bo@example.test")) == 1
    frozen_clock.advance(days=31)
    housekeeping.run_once(get_engine(), get_settings())
    with unit_of_work(get_engine()) as session:
        assert outbox.status(session) == {"sent": 1}  # old mail is the retention rule's
    (done,) = own.run(partial(unit_of_work, get_engine()), "test", rule="ombud.mail")
    assert done.status == "completed", done.error
    with unit_of_work(get_engine()) as session:
        assert outbox.status(session) == {}
