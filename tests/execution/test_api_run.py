"""Staff API: preview a request (changes nothing) and run it now, against a committed store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from ombud.app import create_app
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import unit_of_work
from ombud.execution.service import masking_key
from ombud.models.audit import AuditEntry
from ombud.models.requests import PrivacyRequest
from ombud.staff import service as staff_service
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import _check_erased, add_request, status_of
from tests.fixtures.api import auth

ROLES = ("admin", "privacy_officer", "viewer")


@dataclass
class System:
    """The app on a committed store with the shop's data map, and a token per role."""

    client: TestClient
    settings: Settings
    engine: Engine
    tokens: dict[str, str]

    def as_(self, role: str) -> dict[str, str]:
        """Authorization header of ``role``."""
        return auth(self.tokens[role])


@pytest.fixture
def system(target: Target, store: tuple[Settings, Engine], shop_map: DataMap) -> Iterator[System]:
    """The shop target, its data map applied to the store, staff tokens and a client."""
    settings, engine = store
    tokens: dict[str, str] = {}
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=shop_map, files={}, author="test")
        for role in ROLES:
            email = f"{role}@staff.test"
            staff_service.create_user(
                session, email=email, password="long enough secret", role=role
            )
            tokens[role] = staff_service.create_token(session, email=email, name="t").secret
    with TestClient(create_app(settings)) as client:
        yield System(client, settings, engine, tokens)


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_preview_and_run_need_a_token_a_role_and_a_request(system: System, target: Target) -> None:
    before = shop.snapshot(target.engine)
    rid = add_request(system.engine, "erasure", 3)
    c = system.client
    assert c.get(f"/api/v1/requests/{rid}/preview").status_code == 401
    assert c.post(f"/api/v1/requests/{rid}/run").status_code == 401
    denied = c.post(f"/api/v1/requests/{rid}/run", headers=system.as_("viewer"))
    assert denied.status_code == 403
    missing = c.get("/api/v1/requests/nope/preview", headers=system.as_("viewer"))
    assert (
        missing.status_code == 404 and "no privacy request with id nope" in missing.json()["error"]
    )
    assert c.post("/api/v1/requests/nope/run", headers=system.as_("admin")).status_code == 404
    assert status_of(system.engine, rid).status == "approved"
    assert shop.snapshot(target.engine) == before


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_run_refuses_a_request_that_is_not_approved(system: System, target: Target) -> None:
    before = shop.snapshot(target.engine)
    rid = add_request(system.engine, "erasure", 3)
    with unit_of_work(system.engine) as session:
        row = session.get(PrivacyRequest, rid)
        assert row is not None
        row.status = "verified"
    res = system.client.post(f"/api/v1/requests/{rid}/run", headers=system.as_("privacy_officer"))
    assert res.status_code == 409
    assert res.json()["error"] == (
        f"cannot run request {rid}: it is verified; only approved requests "
        "(or failed ones, to retry) can be run"
    )
    assert status_of(system.engine, rid).status == "verified"
    assert shop.snapshot(target.engine) == before


@pytest.mark.parametrize("target", ["sqlite", "postgresql"], indirect=True)
def test_preview_changes_nothing_then_run_erases_once(system: System, target: Target) -> None:
    before = shop.snapshot(target.engine)
    rid = add_request(system.engine, "erasure", 3)
    res = system.client.get(f"/api/v1/requests/{rid}/preview", headers=system.as_("viewer"))
    assert res.status_code == 200, res.text
    preview = res.json()
    assert preview["status"] == "approved" and preview["type"] == "erasure"
    lines = {line["collection"]: line for line in preview["lines"]}
    assert lines["shop.customers"]["keys"] == [3] and lines["shop.customers"]["action"] == "mask"
    assert lines["shop.carts"]["action"] == "delete" and lines["shop.carts"]["keys"] == [3]
    assert set(lines["shop.invoices"]["kept"]) >= {"billing_name"}
    assert [u["collection"] for u in preview["unreachable"]] == ["shop.legacy_log"]
    assert shop.snapshot(target.engine) == before
    assert status_of(system.engine, rid).status == "approved"

    res = system.client.post(f"/api/v1/requests/{rid}/run", headers=system.as_("privacy_officer"))
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["status"] == "completed" and body["request_id"] == rid
    carts = body["result"]["collections"]["shop.carts"]
    assert (carts["action"], carts["rows"]) == ("delete", 1)
    assert body["result"]["kept"]
    _check_erased(target, before, masking_key(system.settings))
    assert status_of(system.engine, rid).status == "completed"

    once = shop.snapshot(target.engine)
    again = system.client.post(f"/api/v1/requests/{rid}/run", headers=system.as_("admin"))
    assert again.status_code == 409 and "it is completed" in again.json()["error"]
    assert shop.snapshot(target.engine) == once
    with unit_of_work(system.engine) as session:
        entries = [e for e in session.scalars(select(AuditEntry)) if e.subject_id == rid]
    previewed = [e for e in entries if e.action == "execution.previewed"]
    assert [(e.actor, e.data["row_count"] > 0) for e in previewed] == [("viewer@staff.test", True)]
    assert "privacy_officer@staff.test" in {e.actor for e in entries}


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_failed_run_is_reported_and_can_be_run_again(
    system: System, target: Target, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = shop.snapshot(target.engine)
    rid = add_request(system.engine, "erasure", 3)
    monkeypatch.setenv(shop.URL_VAR, "postgresql+psycopg://ombud:topsecret@127.0.0.1:1/shop")
    res = system.client.post(f"/api/v1/requests/{rid}/run", headers=system.as_("privacy_officer"))
    assert res.status_code == 502
    error = res.json()["error"]
    assert f"running request {rid} failed" in error and "connection 'shop_db'" in error
    assert "topsecret" not in error and res.json()["detail"] == {"status": "failed"}
    assert shop.snapshot(target.engine) == before
    monkeypatch.setenv(shop.URL_VAR, target.url)
    res = system.client.post(f"/api/v1/requests/{rid}/run", headers=system.as_("privacy_officer"))
    assert res.status_code == 200 and res.json()["status"] == "completed", res.text
    _check_erased(target, before, masking_key(system.settings))
