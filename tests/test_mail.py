"""Mail goes over real SMTP, or into an outbox folder when one is set; failures are clear."""

from __future__ import annotations

import email
import email.policy
import ssl
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ombud import mail
from ombud.config import Settings
from ombud.errors import Unavailable
from ombud.mail import send_mail
from tests.fixtures.smtp import Mailbox, SmtpServer, TlsSmtpServer
from tests.fixtures.tls import self_signed


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


def test_tls_delivery_verifies_the_server_with_the_ca_file(tls_smtp_server: TlsSmtpServer) -> None:
    settings = Settings(
        smtp_host=tls_smtp_server.host,
        smtp_port=tls_smtp_server.port,
        smtp_tls=tls_smtp_server.mode == "starttls",
        smtp_ssl=tls_smtp_server.mode == "implicit",
        smtp_ca_file=tls_smtp_server.ca_file,
    )
    send_mail(settings, to="di@example.com", subject="Over TLS", text="Sealed")
    (msg,) = tls_smtp_server.mailbox.to("di@example.com")
    assert Mailbox.text(msg).strip() == "Sealed"


def test_a_server_certificate_not_trusted_is_refused(
    tls_smtp_server: TlsSmtpServer, tmp_path: Path
) -> None:
    # Another CA than the one that signed the server's certificate: nothing is delivered.
    (tmp_path / "other").mkdir()
    other, _ = self_signed(tmp_path / "other")
    settings = Settings(
        smtp_host=tls_smtp_server.host,
        smtp_port=tls_smtp_server.port,
        smtp_tls=tls_smtp_server.mode == "starttls",
        smtp_ssl=tls_smtp_server.mode == "implicit",
        smtp_ca_file=other,
    )
    with pytest.raises(Unavailable, match=r"127\.0\.0\.1:\d+: .*certificate verify failed"):
        send_mail(settings, to="ed@example.com", subject="x", text="y")
    assert tls_smtp_server.mailbox.messages == []


def test_the_tls_context_is_made_once_and_never_for_plain_smtp(
    tls_smtp_server: TlsSmtpServer, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loading CA certificates costs ~30 ms of CPU: once per process, not once per connection.
    made: list[object] = []
    real = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(kwargs.get("cafile"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    mail._tls_context.cache_clear()
    plain = Settings(smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    send_mail(plain, to="fa@example.com", subject="plain", text="1")
    assert made == []
    settings = Settings(
        smtp_host=tls_smtp_server.host,
        smtp_port=tls_smtp_server.port,
        smtp_tls=tls_smtp_server.mode == "starttls",
        smtp_ssl=tls_smtp_server.mode == "implicit",
        smtp_ca_file=tls_smtp_server.ca_file,
    )
    for n in range(3):  # three connections
        send_mail(settings, to="fa@example.com", subject=f"tls {n}", text=str(n))
    assert made == [tls_smtp_server.ca_file]
    assert len(tls_smtp_server.mailbox.to("fa@example.com")) == 3
    assert len(smtp_server.mailbox.to("fa@example.com")) == 1


def test_a_ca_file_that_does_not_exist_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="smtp_ca_file"):
        Settings(smtp_ca_file=tmp_path / "missing.pem")
