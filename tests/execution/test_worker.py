"""The server runs approved requests itself when OMBUD_EXECUTE_IN_SERVER is set."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ombud.app import create_app
from ombud.config import Settings
from ombud.datamap.loader import parse_files, read_files
from ombud.db import unit_of_work
from ombud.models.datamap import DataMapVersion
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.fixtures.smtp import SmtpServer


def _apply_reachable_shop_map(engine: Engine) -> None:
    """Store the shop map without its deliberately unreachable collection."""
    datamap = parse_files(read_files(shop.DATAMAP))
    for dataset in datamap.dataset:
        dataset.collections = [c for c in dataset.collections if c.name != "legacy_log"]
    with unit_of_work(engine) as session:
        session.add(
            DataMapVersion(
                number=1,
                content_hash="shop",
                author="test",
                document=datamap.model_dump(mode="json"),
                files={},
            )
        )


def test_server_runs_approved_requests_in_the_background(
    target: Target, store: tuple[Settings, Engine], smtp_server: SmtpServer
) -> None:
    settings, engine = store
    settings = settings.model_copy(
        update={"execute_in_server": True, "execution_interval_seconds": 0.2}
    )
    _apply_reachable_shop_map(engine)
    before = shop.snapshot(target.engine)
    rid = add_request(engine, "erasure", 3)
    with TestClient(create_app(settings)):
        deadline = time.monotonic() + 60
        while status_of(engine, rid).status != "completed" and time.monotonic() < deadline:
            time.sleep(0.1)
    assert status_of(engine, rid).status == "completed"
    after = shop.snapshot(target.engine)
    assert shop.rows_of(after, 4) == shop.rows_of(before, 4)
    assert shop.rows_of(after, 3) != shop.rows_of(before, 3)
    assert smtp_server.mailbox.to(shop.email(3)), "the completion letter was not sent"
