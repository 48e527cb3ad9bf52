"""A person asks for an encrypted access package: intake, code, approval, run, download,
decrypt (with their age key, or with their passphrase on the download page); the passphrase
is never kept in clear and is wiped once the package is built; wrong tries are limited."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from typing import Any

import pyrage
import pytest
from sqlalchemy import text

from ombud.db import unit_of_work
from ombud.execution import export_links, package, repository
from tests.dsr.conftest import code_from
from tests.execution import shop, test_api_run
from tests.execution.conftest import Target
from tests.execution.test_api_run import System
from tests.fixtures.api import Clock
from tests.fixtures.smtp import Mailbox, SmtpServer

system = test_api_run.system  # the shared fixture: app, committed store, shop map, tokens

LINK_RE = re.compile(r"http://testserver(/privacy/exports/[^/\s]+)\s")
UNLOCK_RE = re.compile(r"http://testserver(/privacy/exports/\S+/open)")
PASSPHRASE = "seven-quiet-lanterns-42"


def _ask_and_run(
    system: System, mailbox: Mailbox, n: int, encryption: dict[str, str]
) -> tuple[str, str]:
    """Make an access request for person ``n``, confirm, approve and run it: (id, letter)."""
    c = system.client
    body = {"type": "access", "email": shop.email(n), "country": "DE", "encryption": encryption}
    res = c.post("/api/v1/requests", json=body)
    assert res.status_code == 201, res.text
    rid: str = res.json()["id"]
    code = code_from(mailbox, shop.email(n))
    assert c.post(f"/api/v1/requests/{rid}/verify", json={"code": code}).status_code == 200
    officer = system.as_("privacy_officer")
    assert c.post(f"/api/v1/requests/{rid}/approve", headers=officer).status_code == 200
    res = c.post(f"/api/v1/requests/{rid}/run", headers=officer)
    assert res.status_code == 200 and res.json()["status"] == "completed", res.text
    return rid, Mailbox.text(mailbox.to(shop.email(n))[-1])


def _customers(package: bytes) -> list[dict[str, object]]:
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        rows: list[dict[str, object]] = json.loads(zf.read("data/shop.customers.json"))
        return rows


def _download(system: System, letter: str) -> bytes:
    link = LINK_RE.search(letter)
    assert link is not None, letter
    res = system.client.get(link.group(1))
    assert res.status_code == 200
    assert res.headers["content-type"] == "application/octet-stream"
    assert res.content.startswith(b"age-encryption.org/v1\n")
    return res.content


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_package_encrypted_to_the_persons_age_key(
    system: System, target: Target, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    identity = pyrage.x25519.Identity.generate()
    recipient = str(identity.to_public())
    written: list[bool] = []
    real_store = package.store

    def store(*args: Any, **kwargs: Any) -> package.Export:
        written.append(bool(kwargs.get("recipient") or kwargs.get("passphrase")))
        return real_store(*args, **kwargs)

    monkeypatch.setattr(package, "store", store)
    rid, letter = _ask_and_run(system, smtp_server.mailbox, 4, {"age_recipient": recipient})
    assert written == [True]  # encrypted before it was written: never a plain copy on disk
    assert "encrypted with age" in letter and "age -d -i YOUR-KEY-FILE" in letter
    assert recipient in letter
    locked = _download(system, letter)
    (customer,) = _customers(pyrage.decrypt(locked, [identity]))
    assert customer["email"] == shop.email(4) and customer["name"] == "Person 4"
    with pytest.raises(pyrage.DecryptError):
        pyrage.decrypt(locked, [pyrage.x25519.Identity.generate()])
    shown = system.client.get(f"/api/v1/requests/{rid}", headers=system.as_("viewer")).json()
    assert shown["result"]["package_encryption"] == "age_recipient"
    assert shown["result"]["package_file"].endswith(".zip.age")
    exports = list((system.settings.data_dir / "exports").iterdir())
    assert [p.name for p in exports] == [shown["result"]["package_file"]]  # no plain ZIP left


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_passphrase_package_opens_through_the_download_page(
    system: System, target: Target, smtp_server: SmtpServer, frozen_clock: Clock
) -> None:
    rid, letter = _ask_and_run(system, smtp_server.mailbox, 2, {"passphrase": PASSPHRASE})
    assert "type your passphrase" in letter and "We did not keep your passphrase" in letter
    assert "You need no other program" in letter and "age -d -i" not in letter
    assert PASSPHRASE not in letter
    page = UNLOCK_RE.search(letter)
    assert page is not None, letter
    c = system.client
    # The page is the person's link too: a staff token is refused there as well.
    officer = system.as_("privacy_officer")
    assert c.get(page.group(1), headers=officer).status_code == 403
    refused = c.post(page.group(1), data={"passphrase": PASSPHRASE}, headers=officer)
    assert refused.status_code == 403
    form = c.get(page.group(1))
    assert form.status_code == 200 and 'name="passphrase"' in form.text
    assert 'method="post"' in form.text

    wrong = c.post(page.group(1), data={"passphrase": "not-the-right-one-at-all"})
    assert wrong.status_code == 403
    assert "does not open this package" in wrong.text and "4 tries left" in wrong.text

    res = c.post(page.group(1), data={"passphrase": PASSPHRASE})
    assert res.status_code == 200, res.text
    assert res.headers["content-type"] == "application/zip"
    today = frozen_clock.now.date().isoformat()
    assert f'filename="shop-gmbh-access-{today}.zip"' in res.headers["content-disposition"]
    (customer,) = _customers(res.content)
    assert customer["email"] == shop.email(2)

    # One link, used once: the page spent it, so neither the page nor the plain link opens
    # the package again; both offer to mail a new link.
    link = LINK_RE.search(letter)
    assert link is not None, letter
    for again in (c.get(link.group(1)), c.get(page.group(1))):
        assert again.status_code == 410 and "already used once" in again.text
    # The file behind the link is an age file the age tool opens with the same passphrase.
    export_id, _ = export_links.unsign(system.settings, link.group(1).rsplit("/", 1)[-1])
    locked = package.find(system.settings, export_id).read_bytes()
    assert locked.startswith(b"age-encryption.org/v1\n")
    assert _customers(pyrage.passphrase.decrypt(locked, PASSPHRASE)) == [customer]
    with unit_of_work(system.engine) as session:
        sealed = session.execute(
            text("SELECT package_passphrase_sealed FROM privacy_requests WHERE id = :r"),
            {"r": rid},
        ).scalar_one()
        kept = [
            str(tuple(row))
            for table in (
                "privacy_requests",
                "request_messages",
                "audit_entries",
                "execution_runs",
                "package_unlock_attempts",
            )
            for row in session.execute(text(f"SELECT * FROM {table}"))
        ]
        tries = session.execute(
            text("SELECT succeeded FROM package_unlock_attempts ORDER BY at")
        ).all()
    assert sealed is None  # wiped once the package was built
    assert kept and not any(PASSPHRASE in row for row in kept)
    assert [bool(t[0]) for t in tries] == [False, True]


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_wrong_passphrases_are_limited_per_link_and_hour(
    system: System, target: Target, smtp_server: SmtpServer, frozen_clock: Clock
) -> None:
    _, letter = _ask_and_run(system, smtp_server.mailbox, 3, {"passphrase": PASSPHRASE})
    page = UNLOCK_RE.search(letter)
    assert page is not None, letter
    export_id, _ = export_links.unsign(system.settings, page.group(1).split("/")[-2])
    start = frozen_clock.now
    with unit_of_work(system.engine) as session:
        # Four wrong tries spread over the hour (each real one costs seconds of scrypt).
        for minutes in (0, 10, 20, 30):
            at = start + timedelta(minutes=minutes)
            repository.add_unlock_attempt(session, export_id, at=at, ok=False)
    frozen_clock.advance(minutes=40)
    c = system.client
    fifth = c.post(page.group(1), data={"passphrase": "still-not-the-right-one"})
    assert fifth.status_code == 429, fifth.text
    # The window frees up when the oldest counted try (at 09:00) is an hour old.
    assert fifth.headers["retry-after"] == str(20 * 60 + 1)
    assert "Try again after 2 March 2026, 10:00 UTC" in fifth.text
    blocked = c.post(page.group(1), data={"passphrase": PASSPHRASE})
    assert blocked.status_code == 429  # even the right one: no try is spent while locked
    assert c.get(page.group(1)).status_code == 429
    frozen_clock.advance(minutes=20, seconds=1)
    res = c.post(page.group(1), data={"passphrase": PASSPHRASE})
    assert res.status_code == 200 and _customers(res.content)[0]["email"] == shop.email(3)


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_a_key_package_has_no_passphrase_page(
    system: System, target: Target, smtp_server: SmtpServer
) -> None:
    identity = pyrage.x25519.Identity.generate()
    _, letter = _ask_and_run(
        system, smtp_server.mailbox, 5, {"age_recipient": str(identity.to_public())}
    )
    assert UNLOCK_RE.search(letter) is None
    link = LINK_RE.search(letter)
    assert link is not None
    res = system.client.post(link.group(1) + "/open", data={"passphrase": PASSPHRASE})
    assert res.status_code == 409 and "not protected by a passphrase" in res.json()["error"]
