"""Applying versions (immutable, idempotent, audited) and the /api/v1/datamap endpoints."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.datamap import repository, service
from ombud.datamap.loader import DataMapInvalid
from ombud.errors import NotFound
from ombud.models.audit import AuditEntry
from ombud.models.datamap import DataMapVersion
from tests.datamap.helpers import VALID, map_with
from tests.fixtures.api import auth


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "map"
    shutil.copytree(VALID, folder)
    return folder


def test_apply_is_idempotent_and_numbers_versions(db_session: Session, tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    v1, created = service.apply(db_session, path=folder, author="dana")
    assert (v1.number, created, v1.author) == (1, True, "dana")
    assert len(v1.content_hash) == 64
    assert v1.files["organization.yml"].startswith("organization:")
    again, created = service.apply(db_session, path=folder, author="someone")
    assert (again.id, created) == (v1.id, False)
    # Formatting-only changes normalise to the same document: still no new version.
    org = folder / "organization.yml"
    org.write_text("# a comment\n" + org.read_text())
    assert service.apply(db_session, path=folder, author="dana")[1] is False
    org.write_text(org.read_text().replace("Email hosting", "Mail hosting"))
    v2, created = service.apply(db_session, path=folder, author="dana")
    assert (v2.number, created) == (2, True)
    assert v2.content_hash != v1.content_hash
    assert service.get_current(db_session).organization.description.startswith("Mail hosting")
    actions = db_session.scalars(
        select(AuditEntry.data).where(AuditEntry.action == "datamap.applied")
    ).all()
    assert [a["number"] for a in actions] == [1, 2]


def test_reverting_to_an_older_content_makes_a_new_version(
    db_session: Session, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    service.apply(db_session, path=folder, author="dana")
    org = folder / "organization.yml"
    original = org.read_text()
    org.write_text(original.replace("Email hosting", "Mail hosting"))
    service.apply(db_session, path=folder, author="dana")
    org.write_text(original)
    restored, created = service.apply(db_session, path=folder, author="dana")
    first = repository.get_by_number(db_session, 1)
    assert created and restored.number == 3
    assert first is not None and restored.content_hash == first.content_hash


def test_invalid_map_is_refused_and_nothing_stored(db_session: Session, tmp_path: Path) -> None:
    folder = map_with(tmp_path, "retention:\n  - fides_key: x\n    data_categories: [user.name]\n")
    with pytest.raises(DataMapInvalid) as info:
        service.apply(db_session, path=folder, author="dana")
    assert str(info.value.problems[0]).endswith(
        "retention rule 'x' has no period (e.g. period: P30D or '10 years')"
    )
    assert db_session.scalar(select(func.count()).select_from(DataMapVersion)) == 0
    with pytest.raises(NotFound, match="no data map has been applied"):
        service.get_current(db_session)


def test_api_needs_a_token_and_says_when_none_applied(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert client.get("/api/v1/datamap").status_code == 401
    res = client.get("/api/v1/datamap", headers=auth(tokens["viewer"]))
    assert res.status_code == 404
    assert res.json()["error"] == "no data map has been applied: run 'ombud datamap apply PATH'"
    assert client.get("/api/v1/datamap/versions", headers=auth(tokens["viewer"])).json() == {
        "items": []
    }


def test_api_serves_current_history_and_one_version(
    client: TestClient, tokens: dict[str, str], db_session: Session, tmp_path: Path
) -> None:
    folder = _copy(tmp_path)
    service.apply(db_session, path=folder, author="dana")
    org = folder / "organization.yml"
    org.write_text(org.read_text().replace("Email hosting", "Mail hosting"))
    service.apply(db_session, path=folder, author="erik")
    db_session.commit()
    h = auth(tokens["viewer"])
    current = client.get("/api/v1/datamap", headers=h).json()
    assert (current["number"], current["author"]) == (2, "erik")
    assert current["document"]["organization"]["description"].startswith("Mail hosting")
    history = client.get("/api/v1/datamap/versions", headers=h).json()["items"]
    assert [(v["number"], v["document"]) for v in history] == [(2, None), (1, None)]
    one = client.get("/api/v1/datamap/versions/1", headers=h).json()
    assert one["document"]["organization"]["description"].startswith("Email hosting")
    missing = client.get("/api/v1/datamap/versions/9", headers=h)
    assert missing.status_code == 404
    assert missing.json()["error"] == "data map version 9 does not exist (versions are 1 to 2)"
    assert client.get("/api/v1/datamap/versions", headers=auth("wrong")).status_code == 401


def test_api_validate_needs_privacy_officer(client: TestClient, tokens: dict[str, str]) -> None:
    files = {name.name: name.read_text() for name in sorted(VALID.glob("*.yml"))}
    body = {"files": files}
    assert client.post("/api/v1/datamap/validate", json=body).status_code == 401
    denied = client.post("/api/v1/datamap/validate", json=body, headers=auth(tokens["viewer"]))
    assert denied.status_code == 403
    ok = client.post("/api/v1/datamap/validate", json=body, headers=auth(tokens["privacy_officer"]))
    assert ok.json() == {"valid": True, "problems": []}
    files["extra.yml"] = "cookie:\n  - name: x\n"
    bad = client.post(
        "/api/v1/datamap/validate", json={"files": files}, headers=auth(tokens["admin"])
    ).json()
    assert bad["valid"] is False
    assert "extra.yml:2:5: cookie[0]: missing required key 'provider'" in bad["problems"]
