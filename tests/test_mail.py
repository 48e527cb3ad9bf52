"""Mail goes over real SMTP, or into an outbox folder when one is set; failures are clear."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from ombud.config import Settings
from ombud.errors import Unavailable
from ombud.mail import send_mail
from tests.fixtures.smtp import Mailbox, SmtpServer


def test_smtp_delivery(smtp_server: SmtpServer) -> None:
    settings = Settings(smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    send_mail(settings, to="ana@example.com", subject="Hello", text="Body text", html="<p>Hi</p>")
    (msg,) = smtp_server.mailbox.to("ana@example.com")
    assert msg["Subject"] == "Hello"
    assert Mailbox.text(msg).strip() == "Body text"


def test_outbox_keeps_the_message_as_a_file(tmp_path: Path) -> None:
    settings = Settings(mail_outbox=tmp_path / "outbox", smtp_port=1)
    message_id = send_mail(settings, to="bo@example.com", subject="Code", text="123456")
    (path,) = (tmp_path / "outbox").glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["To"] == "bo@example.com" and msg["Message-ID"] == message_id


def test_unreachable_server_names_it() -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=1)
    with pytest.raises(Unavailable, match=r"cannot send mail through 127\.0\.0\.1:1"):
        send_mail(settings, to="cy@example.com", subject="x", text="y")
