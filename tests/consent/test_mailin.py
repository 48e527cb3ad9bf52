"""mailto: unsubscribes: List-Unsubscribe headers generated, a message built with the stdlib,
piped into ``ombud consent unsubscribe-mail`` (stdin, file or Maildir), state withdrawn."""

from __future__ import annotations

import base64
import re
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from urllib.parse import unquote

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from typer.testing import CliRunner

from ombud.cli.main import app
from ombud.config import Settings, get_settings
from ombud.consent import ledger, preferences, purposes, repository
from ombud.db import get_engine, unit_of_work
from ombud.models.consent import ConsentRecord
from tests.fixtures.api import Clock

runner = CliRunner()
MAILTO = re.compile(r"<mailto:([^?>]+)\?subject=([^>]+)>")


def _mailto(email: str, purpose: str = "newsletter") -> tuple[str, str]:
    """(address, subject) of the mailto: target that ``unsubscribe-headers`` prints."""
    res = runner.invoke(
        app, ["consent", "unsubscribe-headers", "--email", email, "--purpose", purpose]
    )
    assert res.exit_code == 0, res.output
    match = MAILTO.search(res.output)
    assert match, res.output
    return match.group(1), unquote(match.group(2))


def _message(to: str, subject: str, sender: str, **headers: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="mail.example.com")
    msg["User-Agent"] = "Thunderbird/128.0"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("This message was sent by the unsubscribe button of my mail program.\n")
    return msg.as_bytes()


def _pipe(data: bytes, *args: str) -> tuple[int, str]:
    res = runner.invoke(app, ["consent", "unsubscribe-mail", *args], input=data)
    return res.exit_code, res.output


def _state(email: str, purpose: str = "newsletter") -> tuple[str, str] | None:
    with unit_of_work() as session:
        st = repository.get_state(session, ledger.subject_hash("email", email), purpose)
        return (st.decision, st.method) if st else None


def _records() -> int:
    with unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(ConsentRecord)) or 0)


def _last_record() -> ConsentRecord:
    with unit_of_work() as session:
        rec = session.scalars(select(ConsentRecord).order_by(ConsentRecord.id.desc())).first()
        assert rec is not None
        session.expunge(rec)
        return rec


def test_mailto_unsubscribe_withdraws_with_proof(cli_store: str) -> None:
    address, subject = _mailto("a@example.com")
    local, domain = address.split("@")
    assert local.startswith("unsubscribe+") and domain == "privacy.example"
    assert len(local) <= 64  # RFC 5321 limit of the part before the @
    assert subject.startswith("unsubscribe ")
    assert _state("a@example.com") == ("granted", "import")

    code, out = _pipe(_message(address, subject, "Ann <a@example.com>"))
    assert code == 0, out
    assert "a@example.com unsubscribed from Newsletter (newsletter: withdrawn)" in out
    assert _state("a@example.com") == ("withdrawn", "email_link")
    rec = _last_record()
    assert (rec.subject, rec.decision, rec.method) == ("a@example.com", "withdrawn", "email_link")
    assert rec.evidence["unsubscribe"] == "mailto (RFC 2369)"
    assert rec.evidence["token_in"] == "To" and len(rec.evidence["message_id_sha256"]) == 64
    assert rec.source_url == "mailto:unsubscribe+…@privacy.example"
    assert (rec.user_agent, rec.ip) == ("Thunderbird/128.0", None)
    with unit_of_work() as session:
        notice = purposes.get_purpose(session, "newsletter").notice
    assert (rec.notice_version, rec.notice_hash) == (notice.version, notice.content_hash)

    # The mail server delivers the same message twice: nothing more is written.
    before = _records()
    code, out = _pipe(_message(address, subject, "a@example.com"))
    assert code == 0 and "already unsubscribed" in out
    assert _records() == before


def test_token_found_in_delivered_to_subject_or_recipient(cli_store: str, tmp_path: Path) -> None:
    address, subject = _mailto("e@example.com")
    plain = "Unsubscribe <unsubscribe@privacy.example>"
    # Postfix adds Delivered-To; the person's program wrote only the bare mailbox in To.
    code, out = _pipe(_message(plain, "unsubscribe", "x@other.example", Delivered_To=address))
    assert code == 0, out
    assert _last_record().evidence["token_in"] == "Delivered-To"

    address, subject = _mailto("a@example.com")
    file = tmp_path / "msg.eml"
    file.write_bytes(_message(plain, f"Re: {subject}", "a@example.com"))  # token in subject
    code, out = _pipe(b"", str(file))
    assert code == 0, out
    assert _last_record().evidence["token_in"] == "Subject"
    assert _state("a@example.com") == ("withdrawn", "email_link")

    # A person never asked before: the token names the sender, so a refusal is recorded.
    address, _subject = _mailto("new@example.com")
    code, out = _pipe(_message(plain, "stop", "new@example.com"), "--recipient", address)
    assert code == 0, out
    assert _state("new@example.com") == ("refused", "email_link")
    assert _last_record().evidence["token_in"] == "recipient"


def _splice(token: str, other: str, start: int, end: int) -> str:
    """``token`` with bytes [start, end) taken from ``other`` (both decoded from base32)."""
    a, b = base64.b32decode(token.upper()), base64.b32decode(other.upper())
    return base64.b32encode(a[:start] + b[start:end] + a[end:]).decode().lower()


def test_forged_foreign_and_expired_tokens_refused(cli_store: str, frozen_clock: Clock) -> None:
    address, _subject = _mailto("a@example.com")
    local, domain = address.split("@")
    token = local.split("+", 1)[1]
    other = _mailto("e@example.com")[0].split("@")[0].split("+", 1)[1]
    alerts = _mailto("a@example.com", "product_alerts")[0].split("@")[0].split("+", 1)[1]
    before = _records()
    forged = {
        "altered": token[:-2] + ("aa" if token[-2:] != "aa" else "bb"),
        "another identity": _splice(token, other, 7, 15),  # e@'s hash prefix, a@'s signature
        "another purpose": _splice(token, alerts, 5, 7),  # product_alerts tag
        "cut short": token[:30],
    }
    for what, bad in forged.items():
        code, out = _pipe(_message(f"unsubscribe+{bad}@{domain}", "unsubscribe", "a@example.com"))
        assert code == 65, (what, out)
        assert "this unsubscribe address is not valid" in out, (what, out)
    code, out = _pipe(_message("unsubscribe@privacy.example", "please", "a@example.com"))
    assert code == 65 and "no unsubscribe token found" in out
    code, out = _pipe(b"")
    assert code == 65 and "input is empty" in out
    assert _records() == before
    assert _state("a@example.com") == ("granted", "import")

    frozen_clock.advance(days=get_settings().unsubscribe_ttl_days + 1)
    code, out = _pipe(_message(address, "unsubscribe", "a@example.com"))
    assert code == 65 and "has expired" in out
    assert _records() == before and _state("a@example.com") == ("granted", "import")


def test_maildir_moves_processed_and_flags_refused(cli_store: str, tmp_path: Path) -> None:
    box = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    address, subject = _mailto("e@example.com")
    (box / "new" / "1700000000.1.host").write_bytes(_message(address, subject, "e@example.com"))
    forged = address.replace("+", "+x", 1)
    (box / "new" / "1700000000.2.host").write_bytes(_message(forged, "hi", "e@example.com"))
    res = runner.invoke(app, ["consent", "unsubscribe-mail", "--maildir", str(box)])
    assert res.exit_code == 65, res.output
    assert "1 processed, 1 refused" in res.output
    assert list((box / "new").iterdir()) == []
    assert sorted(p.name for p in (box / "cur").iterdir()) == [
        "1700000000.1.host:2,S",
        "1700000000.2.host:2,FS",
    ]
    assert _state("e@example.com") == ("withdrawn", "email_link")
    # Nothing left: a second run (cron) does nothing and succeeds.
    again = runner.invoke(app, ["consent", "unsubscribe-mail", "--maildir", str(box)])
    assert again.exit_code == 0 and "0 processed, 0 refused" in again.output
    bad = runner.invoke(app, ["consent", "unsubscribe-mail", "--maildir", str(tmp_path)])
    assert bad.exit_code == 64 and "not a Maildir folder" in bad.output


def test_store_unavailable_is_a_temporary_failure(
    cli_store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    address, subject = _mailto("a@example.com")
    box = tmp_path / "Maildir"
    for sub in ("new", "cur", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "new" / "1.host").write_bytes(_message(address, subject, "a@example.com"))
    get_engine().dispose()
    monkeypatch.setenv("OMBUD_DATABASE_URL", f"sqlite:///{tmp_path}/missing/store.db")
    get_settings.cache_clear()
    get_engine.cache_clear()
    code, out = _pipe(_message(address, subject, "a@example.com"))
    assert code == 75 and "cannot use Ombud's store" in out  # the mail server retries later
    res = runner.invoke(app, ["consent", "unsubscribe-mail", "--maildir", str(box)])
    assert res.exit_code == 75
    assert [p.name for p in (box / "new").iterdir()] == ["1.host"]


def test_mailto_only_when_mailbox_is_set(settings: Settings) -> None:
    headers = preferences.unsubscribe_headers(
        email="a@example.com", purpose="newsletter", settings=settings
    )
    assert "mailto:" not in headers["List-Unsubscribe"]
    with_box = settings.model_copy(update={"unsubscribe_mailbox": "optout@privacy.example"})
    headers = preferences.unsubscribe_headers(
        email="a@example.com", purpose="newsletter", settings=with_box
    )
    assert re.search(r">, <mailto:optout\+[a-z2-7]{40}@privacy\.example\?subject=", str(headers))
    for bad in ("optout", "a+b@privacy.example", "x" * 24 + "@privacy.example"):
        with pytest.raises(ValidationError, match="at most 23 characters"):
            Settings(unsubscribe_mailbox=bad)
