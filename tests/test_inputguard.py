"""NUL bytes, control characters, numbers beyond 64 bits and values a database refuses get a
422 on every store, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

from ombud.db import make_engine
from ombud.errors import install_error_handlers
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


def test_nul_in_bodies_is_refused_on_every_store(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    before = counts(db_session)
    api = client.post(
        "/api/v1/requests",
        json={"type": "access", "email": "n@example.test", "account_id": "a\u0000b"},
    )
    assert api.status_code == 422 and "NUL" in api.json()["error"]
    form = client.post(
        "/privacy/request", data={"type": "access", "email": "n@example.test", "details": "x\x00"}
    )
    assert form.status_code == 422
    staff = client.post(
        "/api/v1/consent/decisions",
        headers=auth(tokens["privacy_officer"]),
        json={"email": "a\u0000@example.com", "purpose": "x", "decision": "granted"},
    )
    assert staff.status_code == 422
    # The text "\u0000" (an escaped backslash) is ordinary input.
    fine = client.post(
        "/api/v1/requests",
        json={"type": "access", "email": "t@example.test", "details": "literally \\u0000"},
    )
    assert fine.status_code == 201
    assert counts(db_session)["privacy_requests"] == before["privacy_requests"] + 1
    assert smtp_server.mailbox.to("n@example.test") == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/requests/a%00b",
        "/api/v1/requests/a%0Ab/notes",
        "/api/v1/consent/receipts/%1F",
        "/api/v1/requests?status=open%00",
    ],
)
def test_control_characters_in_urls_are_refused(
    client: TestClient, tokens: dict[str, str], url: str
) -> None:
    res = client.get(url, headers=auth(tokens["viewer"]))
    assert res.status_code == 422 and "control character" in res.json()["error"]


def test_ids_in_paths_follow_a_pattern(client: TestClient, tokens: dict[str, str]) -> None:
    res = client.get("/api/v1/requests/" + "a" * 101, headers=auth(tokens["viewer"]))
    assert res.status_code == 422 and res.json()["error"].startswith("request_id:")
    res = client.get("/api/v1/requests/a%20b", headers=auth(tokens["viewer"]))
    assert res.status_code == 422
    assert client.get("/api/v1/requests/nope", headers=auth(tokens["viewer"])).status_code == 404


def test_numbers_beyond_64_bits(client: TestClient, tokens: dict[str, str]) -> None:
    for number in ("9223372036854775808", "1" + "0" * 40):
        res = client.get(f"/api/v1/datamap/versions/{number}", headers=auth(tokens["viewer"]))
        assert res.status_code == 422 and res.json()["code"] == "invalid_value"
        assert client.get(f"/privacy/statement/versions/{number}").status_code == 422


def test_invalid_utf8_json_is_refused(client: TestClient) -> None:
    res = client.post(
        "/api/v1/requests",
        content=b'{"type": "access", "email": "\xff\xfe@example.test"}',
        headers={"Content-Type": "application/json"},
    )
    assert res.status_code in (400, 422)


def test_control_characters_in_yaml_say_where(client: TestClient, tokens: dict[str, str]) -> None:
    res = client.post(
        "/api/v1/datamap/validate",
        headers=auth(tokens["privacy_officer"]),
        json={"files": {"map.yml": "organization:\n  - name: A\x07cme\n"}},
    )
    assert res.status_code == 200
    assert (
        "map.yml:2:12: malformed YAML: control character U+0007 is not allowed"
        in (res.json()["problems"])
    )


def _app_over(url: str, statement: str) -> Iterator[TestClient]:
    engine = make_engine(url)
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/store")
    def store() -> dict[str, str]:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE IF NOT EXISTS small (n SMALLINT)"))
            conn.execute(text(statement), {"n": 2**70})
        return {"stored": "yes"}

    with TestClient(app) as c:
        yield c
    engine.dispose()


@pytest.mark.parametrize("which", ["store", "mariadb"])
def test_one_handler_for_data_errors(
    which: str, store_url: str, request: pytest.FixtureRequest
) -> None:
    url = store_url if which == "store" else request.getfixturevalue("mysql_url")
    for client in _app_over(url, "INSERT INTO small (n) VALUES (:n)"):
        res = client.get("/store")
        assert res.status_code == 422
        assert res.json()["code"] == "invalid_value" and "64 bits" in res.json()["error"]
