"""Sending email over SMTP with the configured host, port, TLS and sender."""

from __future__ import annotations

import smtplib
import ssl
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid
from functools import lru_cache
from pathlib import Path

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.errors import Unavailable
from ombud.files import write_private


class _RememberingRegistry(HeaderRegistry):
    """The standard header factory, keeping the classes and headers it made.

    The standard one builds a new class for every header it parses and parses every value
    anew; most headers of a batch of letters are the same (sender, date, content type), and
    that parsing was most of the CPU a letter cost. Parsed headers are immutable, so sharing
    them between messages and threads writes the same bytes."""

    SIZE = 256

    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type[BaseHeader]] = {}
        self._parsed: OrderedDict[tuple[str, str], BaseHeader] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> type[BaseHeader]:
        """The header class for ``name`` (made once)."""
        cls = self._classes.get(name.lower())
        if cls is None:
            cls = self._classes[name.lower()] = super().__getitem__(name)
        return cls

    def __call__(self, name: str, value: str) -> BaseHeader:
        """The parsed header, from the last ``SIZE`` ones when it was seen before."""
        if type(value) is not str:  # only plain text is known to hash and compare safely
            return self[name](name, value)
        key = (name, value)
        with self._lock:
            found = self._parsed.get(key)
            if found is not None:
                self._parsed.move_to_end(key)
                return found
        header = self[name](name, value)
        with self._lock:
            self._parsed[key] = header
            if len(self._parsed) > self.SIZE:
                self._parsed.popitem(last=False)
        return header


class _FoldingPolicy(EmailPolicy):
    """The default policy, keeping each shared header's folded bytes on the header.

    Folding walks the header's parse tree anew for every message; the headers most letters
    share (sender, date, content type) are the same objects (``_RememberingRegistry``), so
    they are folded once per way of writing (line ending, length, 8-bit or not)."""

    def fold_binary(self, name: str, value: str) -> bytes:
        """The header as bytes, folded once per header object and way of writing."""
        if not isinstance(value, BaseHeader):
            return super().fold_binary(name, value)
        key = (name, self.linesep, self.max_line_length, self.utf8, self.cte_type)
        folds: dict[tuple[object, ...], bytes] = value.__dict__.setdefault(_FOLDS, {})
        found = folds.get(key)
        if found is None:
            found = folds[key] = super().fold_binary(name, value)
        return found


_FOLDS = "_ombud_folds"
# Letters are built with this policy: the default one, with the remembering factory.
POLICY = _FoldingPolicy(header_factory=_RememberingRegistry())


def build_message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """Build a message with a text part and an optional HTML alternative (``message_id``:
    the id it was queued with; a new one otherwise)."""
    msg = EmailMessage(policy=POLICY)
    msg["From"] = settings.mail_sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = message_id or make_msgid(domain=settings.mail_sender.rsplit("@", 1)[-1])
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def _write_to_outbox(outbox: Path, msg: EmailMessage) -> str:
    stamp = utcnow().strftime("%Y%m%dT%H%M%S.%f")
    path = outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    write_private(path, msg.as_bytes())
    return str(msg["Message-ID"])


def send(settings: Settings, msg: EmailMessage) -> str:
    """Deliver ``msg``; return its Message-ID or raise ``Unavailable`` naming the server."""
    with connection(settings) as deliver:
        return deliver(msg)


@contextmanager
def connection(settings: Settings) -> Iterator[Callable[[EmailMessage], str]]:
    """A sender for several messages over one SMTP connection, opened at the first message;
    after a failure the next message opens a new one. Each call returns the Message-ID or
    raises ``Unavailable`` naming the server."""
    if settings.mail_outbox is not None:
        outbox = settings.mail_outbox
        yield lambda msg: _write_to_outbox(outbox, msg)
        return
    held: list[smtplib.SMTP] = []

    def deliver(msg: EmailMessage) -> str:
        try:
            if not held:
                held.append(_connect(settings))
            held[0].send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            _close(held)
            raise Unavailable(
                f"cannot send mail through {settings.smtp_host}:{settings.smtp_port}: {exc}"
            ) from exc
        return str(msg["Message-ID"])

    try:
        yield deliver
    finally:
        _close(held)


@lru_cache(maxsize=4)
def _tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """A verifying TLS context, made once per process and CA file: loading the certificates
    cost about 30 ms of CPU, which every connection (every batch of letters) paid."""
    return ssl.create_default_context(cafile=ca_file)


def _connect(settings: Settings) -> smtplib.SMTP:
    smtp: smtplib.SMTP
    if settings.smtp_ssl:
        context = _tls_context(settings.smtp_ca_file)
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=15, context=context)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15)
    try:
        if settings.smtp_tls and not settings.smtp_ssl:
            smtp.starttls(context=_tls_context(settings.smtp_ca_file))
        if settings.smtp_username and settings.smtp_password is not None:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    except BaseException:
        smtp.close()
        raise
    return smtp


def _close(held: list[smtplib.SMTP]) -> None:
    """QUIT politely; a connection that already broke is just closed."""
    while held:
        smtp = held.pop()
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def send_mail(
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> str:
    """Build and deliver one message; return its Message-ID."""
    return send(
        settings,
        build_message(settings, to=to, subject=subject, text=text, html=html, headers=headers),
    )
