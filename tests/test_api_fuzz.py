"""Schemathesis over the whole OpenAPI, with and without a staff token, on the configured store:
no answer is a server error and every answer matches what the OpenAPI documents.

The Python API is used (not the pytest plugin) so each operation runs against the test's own
app and rolled-back session; examples are few per operation so the suite stays quick."""

from __future__ import annotations

import pytest
import schemathesis
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from ombud.config import Settings
from tests.dsr.conftest import DATAMAP_FILE, store_datamap
from tests.fixtures.api import auth
from tests.fixtures.smtp import SmtpServer

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = 3
# Runs its batches in transactions of its own on the app's engine: under the test's rolled-back
# session (which holds SQLite's write lock) it can only wait; tests/retention covers it.
SKIP = {("POST", "/api/v1/retention/run")}


def _fuzz(app: FastAPI, headers: dict[str, str]) -> list[str]:
    """Run every operation with a few positive and negative examples; return the failures."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                pass  # no invalid input exists for an operation without parameters
            except (Exception, BaseExceptionGroup) as exc:  # collect all: one run shows each
                failures.append(
                    f"{operation.method.upper()} {operation.path} ({mode.value}): {exc}"
                )
    return failures


@pytest.fixture
def fuzz_app(
    app: FastAPI, db_session: Session, settings: Settings, smtp_server: SmtpServer
) -> FastAPI:
    """The app with a data map in force and limits high enough not to hide other answers."""
    store_datamap(db_session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
    db_session.commit()
    settings.rate_limit_per_ip = settings.rate_limit_per_identity = 10**6
    settings.rate_limit_per_target = 10**6
    return app


def test_api_without_token(fuzz_app: FastAPI) -> None:
    failures = _fuzz(fuzz_app, {})
    assert failures == [], "\n\n".join(failures)


def test_api_with_admin_token(fuzz_app: FastAPI, tokens: dict[str, str]) -> None:
    failures = _fuzz(fuzz_app, auth(tokens["admin"]))
    assert failures == [], "\n\n".join(failures)


def test_error_answers_are_documented(fuzz_app: FastAPI) -> None:
    spec = fuzz_app.openapi()
    verify = spec["paths"]["/api/v1/requests/{request_id}/verify"]["post"]["responses"]
    assert {"404", "409", "422", "429"} <= set(verify)
    assert "Retry-After" in verify["429"]["headers"]
    queue = spec["paths"]["/api/v1/requests"]["get"]["responses"]
    assert {"401", "403", "422"} <= set(queue) and "429" not in queue
    body = queue["401"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"error", "code", "detail"}


def test_405_names_the_allowed_methods(client: TestClient) -> None:
    res = client.put("/api/v1/requests")
    assert res.status_code == 405 and res.headers["Allow"] == "GET, POST"
    assert res.json()["code"] == "http_error"
