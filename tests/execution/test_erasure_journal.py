"""Erasure masks every value, hex-looking ones included, and never twice: a resumed run
re-applies what the step journal recorded. A blank identity never selects a row."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import Engine

from ombud.datamap.schemas import DataMap
from ombud.execution import runner
from ombud.execution.changes import Change
from ombud.execution.planner import CollectionPlan, build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from tests.execution.graphs import KEY, Ref, Schema, create, empty_db, snapshot

__all__ = ["empty_db"]  # the fixture, used by name

HMAC = {"strategy": "hmac", "configuration": {}}
DEVICES = Schema(
    tables={
        "people": {"id": "int", "email": "str", "name": "str"},
        "devices": {"id": "int", "owner_id": "int", "token": "str"},
    },
    identities={("people", "email"): "email"},
    refs=[Ref("devices", "owner_id", "people", "id", "from")],
    masking={("people", "email"): HMAC, ("devices", "token"): HMAC},
)
TOKENS = {
    1: hashlib.sha256(b"device one").hexdigest(),  # 64 hex characters
    2: hashlib.md5(b"device two").hexdigest(),  # 32
    3: hashlib.sha256(b"someone else's").hexdigest(),
}
DEVICE_ROWS = {
    "people": [
        {"id": 1, "email": "ann@example.test", "name": "Ann"},
        {"id": 2, "email": "bob@example.test", "name": "Bob"},
    ],
    "devices": [
        {"id": 1, "owner_id": 1, "token": TOKENS[1]},
        {"id": 2, "owner_id": 1, "token": TOKENS[2]},
        {"id": 3, "owner_id": 2, "token": TOKENS[3]},
    ],
}
ANN = RequestSpec("erase-ann", "erasure", {"email": "ann@example.test"})


def _hmac(value: str) -> str:
    return hmac.new(KEY, value.encode(), "sha256").hexdigest()


def _erase(dm: DataMap, specs: Sequence[RequestSpec], journal: MemoryJournal) -> None:
    with ConnectorPool(dm) as pool:
        execute_batch(build_plan(dm), specs, pool=pool, journal=journal, key=KEY)


def _erased_once(engine: Engine) -> None:
    after = snapshot(engine, DEVICES)
    assert after["people"] == [
        {"id": 1, "email": _hmac("ann@example.test"), "name": None},
        DEVICE_ROWS["people"][1],
    ]
    assert after["devices"] == [
        {"id": 1, "owner_id": 1, "token": _hmac(TOKENS[1])},
        {"id": 2, "owner_id": 1, "token": _hmac(TOKENS[2])},
        DEVICE_ROWS["devices"][2],
    ]


def test_a_hex_identifier_is_masked_like_any_value(empty_db: tuple[str, Engine]) -> None:
    url, engine = empty_db
    create(engine, DEVICES, DEVICE_ROWS)
    _erase(DEVICES.datamap(url), [ANN], MemoryJournal())
    _erased_once(engine)


class Crash(Exception):
    """The worker died."""


class CrashingJournal(MemoryJournal):
    """A journal whose process dies at its first ``mark_done`` when ``crash`` is set: the
    target has committed, the journal write is lost."""

    def __init__(self, crash: bool) -> None:
        super().__init__()
        self.crash = crash

    def mark_done(self, changes: Sequence[Change]) -> None:
        """Die once, if asked to."""
        if self.crash:
            self.crash = False
            raise Crash
        super().mark_done(changes)


@pytest.mark.parametrize("when", ["after the commit", "while writing"])
def test_a_resumed_erasure_does_not_hash_twice(
    empty_db: tuple[str, Engine], when: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Devices are erased before people (they refer to them), and people keep Ann's address
    # until then: a fresh search after the crash would find the devices again, tokens hashed
    # or not. The resumed run re-applies the values recorded before anything was written.
    url, engine = empty_db
    create(engine, DEVICES, DEVICE_ROWS)
    dm = DEVICES.datamap(url)
    journal = CrashingJournal(crash=when == "after the commit")
    if when == "while writing":
        real, calls = runner.apply_collection, []

        def dies_on_people(pool: ConnectorPool, step: CollectionPlan, *a: Any, **kw: Any) -> int:
            calls.append(step.collection)
            if step.collection == "people" and calls.count("people") == 1:
                raise Crash  # devices written, not committed
            return real(pool, step, *a, **kw)

        monkeypatch.setattr(runner, "apply_collection", dies_on_people)
    with pytest.raises(Crash):
        _erase(dm, [ANN], journal)
    tokens = [d["token"] for d in snapshot(engine, DEVICES)["devices"]]
    hashed = [_hmac(TOKENS[1]), _hmac(TOKENS[2])]
    assert tokens[:2] == (hashed if when == "after the commit" else [TOKENS[1], TOKENS[2]])
    _erase(dm, [ANN], journal)
    _erased_once(engine)
    assert {c[1] for c in journal.done([ANN.id])} == {"app.people", "app.devices"}


BLANKS = Schema(
    tables={
        "customers": {"id": "int", "email": "str", "phone": "str", "account": "str"},
        "sms": {"id": "int", "phone": "str", "body": "str"},
    },
    identities={
        ("customers", "email"): "email",
        ("customers", "phone"): "phone_number",
        ("customers", "account"): "account_id",
    },
    refs=[Ref("sms", "phone", "customers", "phone", "from")],
)
BLANK_ROWS = {
    "customers": [
        {"id": 1, "email": "ann@example.test", "phone": "", "account": ""},
        {"id": 2, "email": "bob@example.test", "phone": None, "account": None},
        {"id": 3, "email": "cat@example.test", "phone": " ", "account": " "},
        {"id": 4, "email": "dan@example.test", "phone": "+4930123", "account": "A-4"},
    ],
    "sms": [
        {"id": 1, "phone": "", "body": "hello"},
        {"id": 2, "phone": " ", "body": "hi"},
        {"id": 3, "phone": None, "body": "hey"},
        {"id": 4, "phone": "+4930123", "body": "yo"},
    ],
}


def test_a_blank_identity_never_selects_a_row(empty_db: tuple[str, Engine]) -> None:
    url, engine = empty_db
    create(engine, BLANKS, BLANK_ROWS)
    before = snapshot(engine, BLANKS)
    dm = BLANKS.datamap(url)
    blanks = [
        RequestSpec("phone-empty", "erasure", {"email": "nobody@example.test", "phone": ""}),
        RequestSpec("phone-space", "erasure", {"phone": " "}),
        RequestSpec("phone-spaces", "erasure", {"phone": "   "}),
        RequestSpec("account-space", "erasure", {"account_id": " "}),
        RequestSpec("account-tab", "erasure", {"account_id": "\t"}),
    ]
    _erase(dm, blanks, MemoryJournal())
    assert snapshot(engine, BLANKS) == before
    # Ann's own empty phone leads nowhere either: strangers' texts with an empty number stay.
    _erase(
        dm,
        [RequestSpec("ann", "erasure", {"email": "ann@example.test", "phone": ""})],
        MemoryJournal(),
    )
    after = snapshot(engine, BLANKS)
    assert after["sms"] == before["sms"]
    assert after["customers"][1:] == before["customers"][1:]
    assert after["customers"][0]["email"] is None
