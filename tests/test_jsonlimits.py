"""Free-form JSON in request bodies is bounded in depth and size: a hostile body gets a 422
and the staff queue keeps answering."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.jsonlimits import MAX_DEPTH, check_bounded, depth
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import DATAMAP_FILE, counts, store_datamap
from tests.fixtures.api import auth
from tests.fixtures.smtp import SmtpServer


@pytest.fixture
def datamap(db_session: Session) -> DataMapVersion:
    """The request-form test data map, committed inside the test's rollback."""
    version = store_datamap(db_session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
    db_session.commit()
    return version


def nested(levels: int) -> dict[str, Any]:
    """An object nested ``levels`` deep: {"a": {"a": ... {}}}."""
    body: dict[str, Any] = {}
    inner = body
    for _ in range(levels - 1):
        inner["a"] = {}
        inner = inner["a"]
    return body


def test_deep_rectification_is_refused_and_the_queue_still_answers(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    before = counts(db_session)
    body = {"type": "rectification", "email": "deep@example.test", "rectification": nested(256)}
    res = client.post("/api/v1/requests", json=body)
    assert res.status_code == 422 and res.json()["error"].startswith("rectification")
    assert counts(db_session) == before
    queue = client.get("/api/v1/requests", headers=auth(tokens["viewer"]))
    assert queue.status_code == 200


def test_body_deeper_than_the_parser_allows_is_refused(
    client: TestClient, datamap: DataMapVersion
) -> None:
    text = '{"type": "access", "email": "r@example.test", "x": ' + "[" * 100_000 + "]" * 100_000
    res = client.post(
        "/api/v1/requests", content=text + "}", headers={"Content-Type": "application/json"}
    )
    assert res.status_code == 400 and res.json()["code"] == "http_error"


def test_depth_and_bounds() -> None:
    assert depth(1) == 0 and depth({}) == 1 and depth({"a": [1, {"b": 2}]}) == 3
    assert check_bounded(nested(MAX_DEPTH)) == nested(MAX_DEPTH)
    with pytest.raises(ValueError, match="nested 9 levels"):
        check_bounded(nested(MAX_DEPTH + 1))
