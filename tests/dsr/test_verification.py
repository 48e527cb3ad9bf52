"""Code attempts are counted by the database under a row lock: parallel guesses get no extra
tries, and a fresh code does not reset the count."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.db import make_engine, unit_of_work
from ombud.dsr import intake, verification
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.models.requests import RequestStatus
from tests.dsr.conftest import DATAMAP_FILE, store_datamap
from tests.fixtures.api import Clock

GUESSES = 30


@pytest.fixture
def committed_engine(committed_store_url: str, dsr_settings: Settings) -> Iterator[Engine]:
    """An engine on a fresh, really committed store with the test data map."""
    engine = make_engine(committed_store_url)
    with unit_of_work(engine) as session:
        store_datamap(session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
    yield engine
    engine.dispose()


def _new_request(engine: Engine) -> tuple[str, str]:
    """(request id, its code): a request waiting for its code."""
    with unit_of_work(engine) as session:
        data = PrivacyRequestCreate.model_validate({"type": "access", "email": "p@example.test"})
        row = intake.submit(session, data=data, source="api")
        # Issue a code whose value the test knows (the mailed one is never stored in clear).
        return row.id, verification.issue(session, row.id)


def _guess(engine: Engine, request_id: str, code: str) -> intake.VerifyResult:
    with unit_of_work(engine) as session:
        return intake.verify(session, request_id, code=code)


def test_parallel_wrong_guesses_get_no_extra_tries(
    committed_engine: Engine, dsr_settings: Settings
) -> None:
    request_id, code = _new_request(committed_engine)
    wrong = "000000" if code != "000000" else "111111"
    with ThreadPoolExecutor(max_workers=GUESSES) as pool:
        outcomes = list(
            pool.map(lambda _: _guess(committed_engine, request_id, wrong), range(GUESSES))
        )
    assert not any(o.ok for o in outcomes)
    assert sum(o.status == 400 for o in outcomes) == dsr_settings.verification_max_attempts - 1
    right = _guess(committed_engine, request_id, code)
    assert not right.ok and right.status == 429 and "locked" in right.message
    with unit_of_work(committed_engine) as session:
        code_row = verification.repository.live_code(session, request_id)
        assert code_row is not None and code_row.locked_at is not None
        assert code_row.attempts == dsr_settings.verification_max_attempts
        row = verification.repository.get(session, request_id)
        assert row is not None and row.status == RequestStatus.awaiting_verification


def test_fresh_code_keeps_the_count(
    db_session: Session, datamap: object, dsr_settings: Settings, frozen_clock: Clock
) -> None:
    data = PrivacyRequestCreate.model_validate({"type": "access", "email": "f@example.test"})
    row = intake.submit(db_session, data=data, source="api")
    verification.issue(db_session, row.id)
    for _ in range(3):
        assert not verification.check(db_session, row.id, "not-it").ok
    frozen_clock.advance(minutes=10)
    code = verification.issue(db_session, row.id)
    for _ in range(2):
        assert not verification.check(db_session, row.id, "not-it").ok
    # 3 + 2 wrong tries: locked, although this code was fresh.
    outcome = verification.check(db_session, row.id, code)
    assert not outcome.ok and outcome.reason == "locked"
    frozen_clock.advance(minutes=dsr_settings.verification_lockout_minutes)
    code = verification.issue(db_session, row.id)
    assert verification.check(db_session, row.id, code).ok
