"""The CLI: render, publish, versions; change notices by real SMTP, once per subscriber."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from ombud.cli.main import app as root_app
from ombud.config import get_settings
from ombud.consent import service as consent
from ombud.datamap.schemas import DataMap
from ombud.db import make_engine, unit_of_work
from ombud.models.statement import StatementDelivery
from ombud.notices.notify import PURPOSE
from tests.fixtures.smtp import Mailbox, SmtpServer
from tests.notices.conftest import DATAMAP_DIR, assert_valid_html, store, with_recipient

runner = CliRunner()
SUBSCRIBERS = ["ann@example.com", "bo@example.com", "cy@example.com"]


@dataclass
class Env:
    engine: Engine
    data_dir: Path
    monkeypatch: pytest.MonkeyPatch

    def use_smtp(self, port: int) -> None:
        self.monkeypatch.setenv("OMBUD_SMTP_PORT", str(port))
        get_settings.cache_clear()

    def subscribe(self, emails: list[str]) -> None:
        """Make exactly ``emails`` subscribers, through the consent ledger."""
        with unit_of_work(self.engine) as session:
            current = set(consent.contactable_emails(session, purpose=PURPOSE))
            for address in sorted(set(emails) - current):
                consent.record_decision(
                    session, email=address, purpose=PURPOSE, decision="granted", method="import"
                )
            for address in sorted(current - set(emails)):
                consent.record_decision(
                    session, email=address, purpose=PURPOSE, decision="withdrawn", method="api"
                )

    def apply(self, datamap: DataMap) -> None:
        with unit_of_work(self.engine) as session:
            store(session, datamap)


@pytest.fixture
def env(cli_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    """The shared CLI store, with the statement's public URL and sender."""
    monkeypatch.setenv("OMBUD_BASE_URL", "https://lumen.example")
    monkeypatch.setenv("OMBUD_MAIL_SENDER", "privacy@lumen.example")
    get_settings.cache_clear()
    engine = make_engine(cli_store)
    yield Env(engine, tmp_path / "data", monkeypatch)
    engine.dispose()


def deliveries(engine: Engine) -> list[tuple[str, str]]:
    with unit_of_work(engine) as session:
        rows = session.scalars(select(StatementDelivery).order_by(StatementDelivery.email))
        return [(r.email, r.status) for r in rows]


def invoke(*args: str) -> Any:
    """Run ``ombud statement ARGS``."""
    return runner.invoke(root_app, ["statement", *args])


def test_render_command(tmp_path: Path) -> None:
    res = invoke("render", "--format", "md", "--datamap", str(DATAMAP_DIR))
    assert res.exit_code == 0, res.output
    assert res.output.startswith("# Privacy statement: Lumen Mail\n\n*Draft: not yet published*")
    assert "## International transfers" in res.output
    out = tmp_path / "statement.html"
    res = invoke("render", "--output", str(out), "--datamap", str(DATAMAP_DIR))
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert_valid_html(page)
    assert "<style>" in page and "Stripe Inc." in page
    res = invoke("render", "--format", "pdf", "--datamap", str(DATAMAP_DIR))
    assert res.exit_code == 1
    assert "--format must be html or md" in res.output


def test_material_change_emails_every_subscriber_once(
    env: Env, smtp_server: SmtpServer, datamap: DataMap
) -> None:
    env.apply(datamap)
    env.subscribe(SUBSCRIBERS[:2])
    res = invoke("publish", "--effective", "2026-03-01")
    assert res.exit_code == 0, res.output
    assert "published version 1" in res.output
    assert smtp_server.mailbox.messages == []  # not material: nobody is emailed
    env.apply(with_recipient(datamap, fides_key="textbird", name="Textbird Inc.", country="DE"))
    summary = "We now send text messages through Textbird."
    res = invoke("publish", "--material", "--effective", "2026-04-01", "--summary", summary)
    assert res.exit_code == 0, res.output
    assert "published version 2" in res.output and "2 sent" in res.output
    for address in SUBSCRIBERS[:2]:
        (msg,) = smtp_server.mailbox.to(address)
        assert msg["Subject"] == "Lumen Mail: our privacy statement changes on 2026-04-01"
        text = Mailbox.text(msg)
        assert summary in text
        assert "https://lumen.example/privacy/statement/diff?from=1&to=2" in text
        assert "https://lumen.example/privacy/statement/versions/2" in text
    assert smtp_server.mailbox.to(SUBSCRIBERS[2]) == []
    # Publishing again is refused and sends nothing; notify finds nothing left.
    res = invoke("publish", "--material", "--summary", summary)
    assert res.exit_code == 1
    assert "nothing to publish: the statement is identical to version 2" in res.output
    res = invoke("notify", "2")
    assert res.exit_code == 0, res.output
    assert "0 sent" in res.output
    assert len(smtp_server.mailbox.messages) == 2
    assert deliveries(env.engine) == [(a, "sent") for a in SUBSCRIBERS[:2]]
    res = invoke("notify", "1")
    assert res.exit_code == 1
    assert "version 1 is not a material change" in res.output
    res = invoke("versions")
    assert res.exit_code == 0
    assert "2026-04-01" in res.output and "2026-03-01" in res.output


class Flaky:
    """An SMTP server that accepts ``accept`` messages, then answers 421 (going down)."""

    def __init__(self, accept: int) -> None:
        self.accept = accept
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if len(self.messages) >= self.accept:
            return "421 Service not available, closing transmission channel"
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def flaky() -> Iterator[tuple[Flaky, int]]:
    """A flaky SMTP server on a free port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Flaky(accept=1)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_rerun_after_a_failure_midway_sends_once_per_subscriber(
    env: Env, smtp_server: SmtpServer, datamap: DataMap, flaky: tuple[Flaky, int]
) -> None:
    server, port = flaky
    env.apply(datamap)
    env.subscribe(SUBSCRIBERS)
    env.use_smtp(port)
    args = ("publish", "--material", "--summary", "First published statement.")
    res = invoke(*args)
    assert res.exit_code == 1
    assert "published version 1" in res.output
    assert "2 notice(s) not sent" in res.output and "ombud statement notify 1" in res.output
    assert [str(m["To"]) for m in server.messages] == [SUBSCRIBERS[0]]
    # The mail server is back; rerunning the same publish resumes the unsent notices only.
    env.use_smtp(smtp_server.port)
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    assert "resuming 2 unsent notice(s)" in res.output
    assert sorted(str(m["To"]) for m in smtp_server.mailbox.messages) == SUBSCRIBERS[1:]
    res = invoke("notify", "1")
    assert res.exit_code == 0 and "0 sent" in res.output
    assert len(server.messages) + len(smtp_server.mailbox.messages) == len(SUBSCRIBERS)
    assert deliveries(env.engine) == [(a, "sent") for a in SUBSCRIBERS]


def test_unsubscribed_before_their_turn_are_skipped(
    env: Env, smtp_server: SmtpServer, datamap: DataMap, flaky: tuple[Flaky, int]
) -> None:
    server, port = flaky
    server.accept = 0
    env.apply(datamap)
    env.subscribe(SUBSCRIBERS)
    env.use_smtp(port)
    assert invoke("publish", "--material", "--summary", "First.").exit_code == 1
    env.subscribe(SUBSCRIBERS[:1])  # two people unsubscribe meanwhile
    env.use_smtp(smtp_server.port)
    res = invoke("notify", "1")
    assert res.exit_code == 0, res.output
    assert "1 sent, 2 skipped" in res.output
    assert [str(m["To"]) for m in smtp_server.mailbox.messages] == SUBSCRIBERS[:1]
    assert deliveries(env.engine) == [
        (SUBSCRIBERS[0], "sent"),
        (SUBSCRIBERS[1], "skipped"),
        (SUBSCRIBERS[2], "skipped"),
    ]
