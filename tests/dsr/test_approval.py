"""The data map's approval rule: automatic, one approval, or two from distinct staff."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.dsr import jurisdictions, service
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.errors import Conflict
from ombud.models.audit import AuditEntry
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import DATAMAP_FILE, code_from, commit, store_datamap
from tests.fixtures.api import auth
from tests.fixtures.smtp import SmtpServer

RULES = [
    {"key": "gdpr", "approval": "one", "types": {"access": {"approval": "auto"}}},
    {"key": "uk_gdpr", "approval": "two"},
]


@pytest.fixture
def ruled_map(db_session: Session) -> DataMapVersion:
    """The test data map with approval rules for gdpr and uk_gdpr."""
    document: dict[str, Any] = yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8"))
    document["jurisdiction"] = [*document.get("jurisdiction", []), *RULES]
    version = store_datamap(db_session, document)
    db_session.commit()
    return version


def _verified(session: Session, smtp: SmtpServer, kind: str, jurisdiction: str, email: str) -> str:
    data = PrivacyRequestCreate.model_validate(
        {"type": kind, "email": email, "jurisdiction": jurisdiction}
    )
    rid = service.submit(session, data=data, source="api").id
    commit(session)
    assert service.verify(session, rid, code=code_from(smtp.mailbox, email)).ok
    commit(session)
    return rid


def test_auto_rule_approves_on_verification(
    db_session: Session, ruled_map: DataMapVersion, dsr_settings: Settings, smtp_server: SmtpServer
) -> None:
    rid = _verified(db_session, smtp_server, "access", "gdpr", "ada@example.test")
    row = service.get(db_session, rid)
    assert row.status == "approved"
    assert (row.approval_policy, row.approval_rule) == ("auto", "gdpr.types.access.approval")
    assert row.approvals == []
    actors = db_session.scalars(
        select(AuditEntry.actor).where(
            AuditEntry.subject_id == rid, AuditEntry.action == "request.status_changed"
        )
    ).all()
    assert "approval policy" in actors


def test_one_rule_waits_for_staff(
    db_session: Session, ruled_map: DataMapVersion, dsr_settings: Settings, smtp_server: SmtpServer
) -> None:
    rid = _verified(db_session, smtp_server, "erasure", "gdpr", "bo@example.test")
    row = service.get(db_session, rid)
    assert (row.status, row.approval_policy, row.approval_rule) == (
        "verified",
        "one",
        "gdpr.approval",
    )
    service.approve(db_session, rid, actor="dpo@staff.test")
    assert row.status == "approved" and [a["by"] for a in row.approvals] == ["dpo@staff.test"]


def test_two_rule_needs_two_distinct_staff(
    db_session: Session, ruled_map: DataMapVersion, dsr_settings: Settings, smtp_server: SmtpServer
) -> None:
    rid = _verified(db_session, smtp_server, "erasure", "uk_gdpr", "cy@example.test")
    first = service.approve(db_session, rid, actor="a@staff.test")
    assert first.status == "verified" and len(first.approvals) == 1
    with pytest.raises(Conflict, match="already approved"):
        service.approve(db_session, rid, actor="a@staff.test")
    second = service.approve(db_session, rid, actor="b@staff.test")
    assert second.status == "approved"
    assert [a["by"] for a in second.approvals] == ["a@staff.test", "b@staff.test"]


def test_api_detail_shows_the_rule_and_approvals(
    client: TestClient,
    db_session: Session,
    ruled_map: DataMapVersion,
    smtp_server: SmtpServer,
    tokens: dict[str, str],
) -> None:
    res = client.post(
        "/api/v1/requests",
        json={"type": "erasure", "email": "di@example.test", "jurisdiction": "uk_gdpr"},
    )
    rid = res.json()["id"]
    code = code_from(smtp_server.mailbox, "di@example.test")
    assert client.post(f"/api/v1/requests/{rid}/verify", json={"code": code}).status_code == 200
    officer = auth(tokens["privacy_officer"])
    res = client.post(f"/api/v1/requests/{rid}/approve", headers=officer)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["status"] == "verified"
    assert (body["approval_policy"], body["approval_rule"]) == ("two", "uk_gdpr.approval")
    assert [a["by"] for a in body["approvals"]] == ["privacy_officer@staff.test"]
    again = client.post(f"/api/v1/requests/{rid}/approve", headers=officer)
    assert again.status_code == 409 and "another staff member" in again.json()["error"]
    res = client.post(f"/api/v1/requests/{rid}/approve", headers=auth(tokens["admin"]))
    assert res.json()["status"] == "approved"


def test_an_unknown_approval_value_is_refused_by_validation() -> None:
    problems = jurisdictions.override_problems(
        [{"key": "gdpr", "types": {"access": {"approval": "three"}}}]
    )
    assert len(problems) == 1
    entry, where, message = problems[0]
    assert entry == 0 and where[-1] == "approval" and "'auto', 'one' or 'two'" in message
    assert jurisdictions.override_problems([{"key": "ccpa", "approval": "auto"}]) == []
