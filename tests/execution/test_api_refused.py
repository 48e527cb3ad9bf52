"""Staff API: a preview names the strategies a column cannot take; running refuses them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from ombud.app import create_app
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.db import unit_of_work
from ombud.staff import service as staff_service
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.execution.variants import Document, variant
from tests.fixtures.api import auth


def _without_policy(doc: Document) -> None:
    doc["policy"] = []


@pytest.mark.parametrize("target", ["sqlite", "postgresql"], indirect=True)
def test_preview_warns_and_run_refuses_before_any_change(
    target: Target, store: tuple[Settings, Engine]
) -> None:
    settings, engine = store
    broken, files = variant(_without_policy)
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=broken, files=files, author="test")
        staff_service.create_user(
            session, email="dpo@staff.test", password="long enough secret", role="privacy_officer"
        )
        token = staff_service.create_token(session, email="dpo@staff.test", name="t").secret
    rid = add_request(engine, "erasure", 3)
    before = shop.snapshot(target.engine)
    with TestClient(create_app(settings)) as client:
        preview = client.get(f"/api/v1/requests/{rid}/preview", headers=auth(token))
        assert preview.status_code == 200, preview.text
        (problem,) = [p for p in preview.json()["unwritable"] if "customers.email" in p]
        assert "is NOT NULL" in problem
        run = client.post(f"/api/v1/requests/{rid}/run", headers=auth(token))
    assert run.status_code == 502
    body = run.json()
    assert body["code"] == "execution_failed"
    assert "erasure refused before any change" in body["error"]
    assert "shop.customers.email" in body["error"]
    assert status_of(engine, rid).status == "failed"
    assert shop.snapshot(target.engine) == before
