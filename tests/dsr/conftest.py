"""Fixtures of the request lifecycle tests: a stored data map and helpers."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.db import _run_after_commit
from ombud.models.audit import AuditEntry
from ombud.models.datamap import DataMapVersion
from ombud.models.mail import OutboxMail
from ombud.models.requests import PrivacyRequest, RequestMessage, RequestNote, VerificationCode
from tests.fixtures.smtp import Mailbox, SmtpServer

DATAMAP_FILE = Path(__file__).with_name("datamap.yml")
CODE_RE = re.compile(r"^\s+(\d{6})\s*$", re.MULTILINE)


def store_datamap(session: Session, document: dict[str, Any]) -> DataMapVersion:
    """Store a data map version as the current one."""
    dm = DataMap.model_validate(document).model_dump(mode="json")
    number = (session.scalar(select(func.max(DataMapVersion.number))) or 0) + 1
    digest = hashlib.sha256(json.dumps(dm, sort_keys=True).encode()).hexdigest()
    version = DataMapVersion(
        number=number, content_hash=digest, author="test", source="tests", document=dm, files={}
    )
    session.add(version)
    session.flush()
    return version


@pytest.fixture
def datamap(db_session: Session) -> DataMapVersion:
    """The test data map (Acme, Berlin authority) stored and committed."""
    version = store_datamap(db_session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
    db_session.commit()
    return version


@pytest.fixture
def dsr_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Make services that read ``get_settings()`` see the test settings (SMTP, secret key)."""
    monkeypatch.setattr("ombud.config.get_settings", lambda: settings)
    yield settings


def commit(session: Session) -> None:
    """Commit as the request dependency does: then the queued letters are sent."""
    session.commit()
    _run_after_commit(session)


def code_from(mailbox: Mailbox, address: str) -> str:
    """The code in the newest verification mail to ``address``."""
    for msg in reversed(mailbox.to(address)):
        match = CODE_RE.search(Mailbox.text(msg))
        if match:
            return match.group(1)
    raise AssertionError(f"no code mailed to {address}")


def counts(session: Session) -> dict[str, int]:
    """Row counts of every table the lifecycle writes, to prove nothing changed."""
    session.expire_all()
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (
            PrivacyRequest,
            RequestMessage,
            RequestNote,
            VerificationCode,
            AuditEntry,
            OutboxMail,
        )
    }


__all__ = ["SmtpServer", "code_from", "commit", "counts", "store_datamap"]
