"""Preference-center codes: the count of tries belongs to the address, is kept across fresh
codes and is added under a row lock so parallel guesses get no extra tries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import preferences
from ombud.db import make_engine, unit_of_work
from ombud.models.datamap import DataMapVersion
from tests.fixtures.api import Clock
from tests.fixtures.smtp import Mailbox, SmtpServer

EMAIL = "guess@example.com"


def _newest_code(mailbox: Mailbox) -> str:
    match = re.search(r"\b(\d{6})\b", Mailbox.text(mailbox.to(EMAIL)[-1]))
    assert match
    return match.group(1)


@pytest.fixture
def committed_engine(committed_store_url: str, consent_settings: Settings) -> Iterator[Engine]:
    """An engine on a fresh, really committed store."""
    engine = make_engine(committed_store_url)
    yield engine
    engine.dispose()


def test_parallel_wrong_guesses_get_no_extra_tries(
    committed_engine: Engine, consent_settings: Settings, smtp_server: SmtpServer
) -> None:
    with unit_of_work(committed_engine) as session:
        preferences.send_access_code(session, email=EMAIL, settings=consent_settings)
    code = _newest_code(smtp_server.mailbox)
    wrong = "000000" if code != "000000" else "111111"

    def guess(value: str) -> bool:
        with unit_of_work(committed_engine) as session:
            subject = preferences.verify_code(
                session, email=EMAIL, code=value, settings=consent_settings
            )
            return subject is not None

    with ThreadPoolExecutor(max_workers=30) as pool:
        assert not any(pool.map(guess, [wrong] * 30))
    # Without the lock and the database-side count, some of the 30 were lost updates and
    # the right code still opened the center.
    assert guess(code) is False


def test_fresh_code_does_not_reset_the_count(
    db_session: Session,
    datamap: DataMapVersion,
    consent_settings: Settings,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    def send() -> str:
        preferences.send_access_code(db_session, email=EMAIL, settings=consent_settings)
        db_session.commit()
        from ombud.db import _run_after_commit

        _run_after_commit(db_session)
        return _newest_code(smtp_server.mailbox)

    def verify(code: str) -> bool:
        subject = preferences.verify_code(
            db_session, email=EMAIL, code=code, settings=consent_settings
        )
        return subject is not None

    code = send()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(consent_settings.verification_max_attempts):
        assert not verify(wrong)
    frozen_clock.advance(minutes=5)
    fresh = send()
    assert not verify(fresh)
    frozen_clock.advance(minutes=consent_settings.verification_lockout_minutes)
    assert verify(send())
