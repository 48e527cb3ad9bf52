"""A person asks for an encrypted access package: intake, code, approval, run, download,
decrypt; the passphrase is never kept in clear and is wiped once the package is built."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pyrage
import pytest
from sqlalchemy import text

from ombud.db import unit_of_work
from ombud.execution import package
from tests.dsr.conftest import code_from
from tests.execution import shop, test_api_run
from tests.execution.conftest import Target
from tests.execution.test_api_run import System
from tests.fixtures.smtp import Mailbox, SmtpServer

system = test_api_run.system  # the shared fixture: app, committed store, shop map, tokens

LINK_RE = re.compile(r"http://testserver(/privacy/exports/\S+)")
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
def test_package_encrypted_with_the_persons_passphrase(
    system: System, target: Target, smtp_server: SmtpServer
) -> None:
    rid, letter = _ask_and_run(system, smtp_server.mailbox, 2, {"passphrase": PASSPHRASE})
    assert "age -d -o my-data.zip" in letter and "We did not keep your passphrase" in letter
    assert PASSPHRASE not in letter
    locked = _download(system, letter)
    (customer,) = _customers(pyrage.passphrase.decrypt(locked, PASSPHRASE))
    assert customer["email"] == shop.email(2)
    with unit_of_work(system.engine) as session:
        sealed = session.execute(
            text("SELECT package_passphrase_sealed FROM privacy_requests WHERE id = :r"),
            {"r": rid},
        ).scalar_one()
        kept = [
            str(tuple(row))
            for table in ("privacy_requests", "request_messages", "audit_entries", "execution_runs")
            for row in session.execute(text(f"SELECT * FROM {table}"))
        ]
    assert sealed is None  # wiped once the package was built
    assert kept and not any(PASSPHRASE in row for row in kept)
