"""The lean path of single decisions answers exactly as the FastAPI route: same receipt, same
headers, same errors for every bad input (it hands those to the route)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from ombud.config import Settings
from ombud.consent import fastpath
from ombud.models.datamap import DataMapVersion
from tests.fixtures.api import auth

URL = "/api/v1/consent/decisions"
GOOD = {"email": "fast@example.com", "purpose": "newsletter", "decision": "granted"}
# Headers that differ between any two responses.
VARYING = {"date", "content-length"}


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the decisions the fast path recorded itself (the route has its own reference)."""
    calls: list[int] = []
    record_one = fastpath.record_one

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await record_one(*args, **kwargs)

    monkeypatch.setattr(fastpath, "record_one", counted)
    return calls


def _headers(res: Response) -> dict[str, str]:
    return {k: v for k, v in res.headers.items() if k not in VARYING}


def _route_only(app: FastAPI, settings: Settings) -> None:
    """No token cache: the fast path never applies, every request goes to the route."""
    app.state.settings = settings.model_copy(update={"token_cache_seconds": 0})


def test_a_cached_token_takes_the_fast_path_with_the_routes_answer(
    app: FastAPI,
    client: TestClient,
    settings: Settings,
    tokens: dict[str, str],
    datamap: DataMapVersion,
    taken: list[int],
) -> None:
    officer = auth(tokens["privacy_officer"])
    _route_only(app, settings)
    slow = client.post(URL, json=GOOD, headers=officer)
    app.state.settings = settings
    client.post(URL, json=GOOD, headers=officer)  # checks the token and caches it
    assert taken == []
    fast = client.post(URL, json=GOOD | {"decision": "refused"}, headers=officer)
    assert taken == [1]
    assert (slow.status_code, fast.status_code) == (201, 201)
    assert _headers(fast) == _headers(slow)
    assert fast.headers["content-security-policy"] and fast.headers["cache-control"] == "no-store"
    assert set(fast.json()) == set(slow.json())
    assert fast.json()["decision"] == "refused"
    assert fast.json()["actor"] == slow.json()["actor"]
    assert fast.json()["receipt_id"] != slow.json()["receipt_id"]
    history = client.post(
        "/api/v1/consent/subjects/history", json={"email": GOOD["email"]}, headers=officer
    )
    assert [d["decision"] for d in history.json()["items"]] == ["granted", "granted", "refused"]


BAD: list[tuple[dict[str, str], bytes]] = [
    ({}, b"{"),  # not JSON
    ({}, b"[]"),
    ({}, b'{"email": "a@example.com", "purpose": "newsletter"}'),  # no decision
    ({}, b'{"email": "a@example.com", "purpose": "newsletter", "decision": "maybe"}'),
    ({}, b'{"email": "a@example.com", "purpose": "newsletter", "decision": "granted", "x": 1}'),
    ({}, b'{"purpose": "newsletter", "decision": "granted"}'),  # no identity
    ({}, b'{"email": "a@example.com", "purpose": "nope", "decision": "granted"}'),
    ({}, b'{"email": "a@", "purpose": "newsletter", "decision": "granted"}'),
    ({}, b'{"email": "a@example.com", "purpose": "newsletter", "decision": "granted", "ip": "x"}'),
    ({}, b'{"email": "a\\u0000@example.com", "purpose": "newsletter", "decision": "granted"}'),
    ({"content-type": "text/plain"}, b'{"email": "a@example.com"}'),
    ({"content-type": "application/merge-patch+json"}, b"{}"),
    ({"authorization": "Basic eDp5"}, b"{}"),
    ({"authorization": "Bearer not-a-token"}, b"{}"),
    ({"authorization": "Bearer"}, b"{}"),
]


@pytest.mark.parametrize(("headers", "body"), BAD)
def test_bad_input_gets_the_routes_own_error(
    app: FastAPI,
    client: TestClient,
    settings: Settings,
    tokens: dict[str, str],
    datamap: DataMapVersion,
    taken: list[int],
    headers: dict[str, str],
    body: bytes,
) -> None:
    officer = auth(tokens["privacy_officer"]) | {"content-type": "application/json"}
    sent = officer | headers
    _route_only(app, settings)
    slow = client.post(URL, content=body, headers=sent)
    app.state.settings = settings
    assert client.post(URL, json=GOOD, headers=officer).status_code == 201  # token cached
    fast = client.post(URL, content=body, headers=sent)
    assert 400 <= slow.status_code < 500, slow.text
    assert (fast.status_code, fast.json()) == (slow.status_code, slow.json())
    assert _headers(fast) == _headers(slow)
    assert fast.json()["error"]


def test_a_viewer_token_is_refused_even_when_cached(
    client: TestClient, tokens: dict[str, str], datamap: DataMapVersion, taken: list[int]
) -> None:
    viewer = auth(tokens["viewer"])
    # A viewer's token gets cached by any call it may make.
    assert client.get("/api/v1/consent/purposes", headers=viewer).status_code == 200
    res = client.post(URL, json=GOOD, headers=viewer)
    assert res.status_code == 403 and "privacy_officer" in res.json()["error"]
    assert taken == []


def test_other_requests_pass_by(
    client: TestClient, tokens: dict[str, str], datamap: DataMapVersion, taken: list[int]
) -> None:
    officer = auth(tokens["privacy_officer"])
    assert client.post(URL, json=GOOD, headers=officer).status_code == 201
    assert client.get(URL, headers=officer).status_code == 405
    bulk = client.post(f"{URL}/bulk", json={"decisions": [GOOD]}, headers=officer)
    assert bulk.status_code == 201
    assert taken == []
