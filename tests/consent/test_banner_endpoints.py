"""The banner's config and decision endpoints: data map driven, CORS for allowed origins only,
every choice recorded in the ledger for the device with the cookie notice."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import ledger, repository, repository_subjects
from ombud.consent.banner import NOTICE_KEY
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.models.datamap import DataMapVersion
from tests.fixtures.api import make_settings
from tests.fixtures.smtp import SmtpServer

BANNER_MAP = Path(__file__).parent / "banner" / "datamap.yml"
SITE = "https://www.shop.example"


@pytest.fixture
def settings(store_url: str, tmp_path: Path, smtp_server: SmtpServer) -> Settings:
    """Test settings with one extra allowed site origin."""
    return make_settings(store_url, tmp_path, smtp_server, banner_origins=SITE)


@pytest.fixture
def banner_map(db_session: Session, consent_settings: Settings) -> DataMapVersion:
    """The test website's data map, applied."""
    version, _ = datamap_service.apply_map(
        db_session, datamap=load_datamap(BANNER_MAP), files={}, author="test"
    )
    db_session.commit()
    return version


def _config(client: TestClient, **headers: str) -> dict:  # type: ignore[type-arg]
    r = client.get("/privacy/consent/config", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_config_lists_categories_and_cookies_from_the_data_map(
    client: TestClient, banner_map: DataMapVersion
) -> None:
    cfg = _config(client)
    keys = [c["key"] for c in cfg["categories"]]
    assert keys == ["strictly_necessary", "analytics", "advertising"]
    necessary = cfg["categories"][0]
    assert necessary["required"] is True
    assert {k["name"] for k in necessary["cookies"]} == {"site_session", "ombud_consent"}
    analytics = cfg["categories"][1]
    assert analytics["cookies"] == [
        {
            "name": "_pa_id",
            "provider": "Acme Shop",
            "duration": "13 months",
            "purpose": "Counts visits.",
            "kind": "cookie",
        }
    ]
    assert cfg["categories"][2]["gpc"] is True and analytics["gpc"] is False
    assert cfg["notice"]["version"] == 1 and len(cfg["notice"]["hash"]) == 64
    assert cfg["google_consent_mode"] is True
    assert cfg["expiry_days"] == 365
    assert cfg["statement_url"] == "http://testserver/privacy/statement"


def test_config_speaks_german_when_asked(client: TestClient, banner_map: DataMapVersion) -> None:
    cfg = _config(client, **{"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert cfg["lang"] == "de"
    assert cfg["texts"]["reject"] == "Alle ablehnen"
    assert cfg["categories"][1]["title"] == "Statistik"
    assert client.get("/privacy/consent/config?lang=fr").json()["lang"] == "en"


def test_cors_only_for_allowed_origins(client: TestClient, banner_map: DataMapVersion) -> None:
    for origin in (SITE, "https://shop.example"):
        r = client.get("/privacy/consent/config", headers={"Origin": origin})
        assert r.headers["access-control-allow-origin"] == origin
    r = client.get("/privacy/consent/config", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    pre = client.options(
        "/privacy/consent/decision",
        headers={"Origin": SITE, "Access-Control-Request-Method": "POST"},
    )
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == SITE


def test_new_cookie_gives_a_new_notice_version(
    client: TestClient, banner_map: DataMapVersion, db_session: Session
) -> None:
    first = _config(client)["notice"]
    assert _config(client)["notice"] == first  # asking again changes nothing
    datamap = load_datamap(BANNER_MAP)
    datamap.cookie.append(
        datamap.cookie[1].model_copy(update={"name": "_pa_session", "duration": "30 minutes"})
    )
    datamap_service.apply_map(db_session, datamap=datamap, files={}, author="test")
    db_session.commit()
    second = _config(client)["notice"]
    assert second["version"] == 2 and second["hash"] != first["hash"]


def _decide(client: TestClient, device: str, choices: dict[str, bool], **extra: object) -> dict:  # type: ignore[type-arg]
    cfg = _config(client)
    body = {"device_id": device, "choices": choices, "notice_hash": cfg["notice"]["hash"]}
    body |= {"page": "https://www.shop.example/products"} | extra
    r = client.post(
        "/privacy/consent/decision",
        json=body,
        headers={"Origin": SITE, "User-Agent": "TestBrowser/1.0", "X-Real": "1"},
    )
    assert r.status_code == 201, r.text
    assert r.headers["access-control-allow-origin"] == SITE
    return r.json()  # type: ignore[no-any-return]


def test_decision_is_recorded_for_the_device_with_the_notice(
    client: TestClient, banner_map: DataMapVersion, db_session: Session, settings: Settings
) -> None:
    device = str(uuid.uuid4())
    out = _decide(client, device, {"strictly_necessary": True, "analytics": True})
    assert [(r["category"], r["decision"]) for r in out["receipts"]] == [
        ("analytics", "granted"),
        ("advertising", "refused"),
    ]
    subject = ledger.make_subject("device", device, settings)
    history = repository_subjects.history_of(db_session, subject.hash)
    assert [h.purpose for h in history] == ["analytics.reporting", "marketing.advertising"]
    rec = history[0]
    assert rec.receipt_id == out["receipt_id"]
    assert rec.method == "banner" and rec.subject_kind == "device"
    notice = repository.latest_notice(db_session, NOTICE_KEY)
    assert notice is not None
    assert (rec.notice_version, rec.notice_hash) == (notice.version, notice.content_hash)
    assert rec.source_url == "https://www.shop.example/products"
    assert rec.user_agent == "TestBrowser/1.0"
    assert rec.evidence["gpc"] is False and rec.evidence["category"] == "analytics"
    # Changing the mind later withdraws what was granted.
    again = _decide(client, device, {"analytics": False})
    assert [r["decision"] for r in again["receipts"]] == ["withdrawn", "refused"]


def test_gpc_refuses_advertising_even_when_accepted(
    client: TestClient, banner_map: DataMapVersion
) -> None:
    out = _decide(client, str(uuid.uuid4()), {"analytics": True, "advertising": True}, gpc=True)
    assert [r["decision"] for r in out["receipts"]] == ["granted", "refused"]
    cfg = client.get("/privacy/consent/config", headers={"Sec-GPC": "1"}).json()
    assert cfg["gpc"] is True


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"device_id": "nope"}, 422, "device_id"),
        ({"choices": {"cookies_for_fun": True}}, 422, "unknown categories cookies_for_fun"),
        ({"notice_hash": "0" * 64}, 422, "notice_hash"),
    ],
)
def test_bad_decisions_say_what_is_wrong(
    client: TestClient,
    banner_map: DataMapVersion,
    db_session: Session,
    body: dict,  # type: ignore[type-arg]
    status: int,
    says: str,
) -> None:
    cfg = _config(client)
    full = {
        "device_id": str(uuid.uuid4()),
        "choices": {"analytics": True},
        "notice_hash": cfg["notice"]["hash"],
    } | body
    before = repository.count_rows(db_session)
    r = client.post("/privacy/consent/decision", json=full)
    assert r.status_code == status, r.text
    assert says in r.text
    assert repository.count_rows(db_session) == before


def test_decision_from_an_unknown_origin_is_refused(
    client: TestClient, banner_map: DataMapVersion
) -> None:
    cfg = _config(client)
    body = {"device_id": str(uuid.uuid4()), "choices": {}, "notice_hash": cfg["notice"]["hash"]}
    r = client.post(
        "/privacy/consent/decision", json=body, headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "OMBUD_BANNER_ORIGINS" in r.text


def test_old_notice_is_a_conflict(
    client: TestClient, banner_map: DataMapVersion, db_session: Session
) -> None:
    old = _config(client)["notice"]["hash"]
    datamap = load_datamap(BANNER_MAP)
    datamap.cookie.pop()
    datamap_service.apply_map(db_session, datamap=datamap, files={}, author="test")
    db_session.commit()
    body = {"device_id": str(uuid.uuid4()), "choices": {}, "notice_hash": old}
    r = client.post("/privacy/consent/decision", json=body)
    assert r.status_code == 409 and "reload the banner" in r.text


def test_banner_choices_have_their_own_rate_limit(
    app: FastAPI,
    client: TestClient,
    banner_map: DataMapVersion,
    db_session: Session,
    settings: Settings,
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"rate_limit_banner_per_device": 2, "rate_limit_banner_per_ip": 4}
    )
    device = str(uuid.uuid4())
    _decide(client, device, {"analytics": True})
    _decide(client, device, {"analytics": False})
    cfg = _config(client)
    body = {"device_id": device, "choices": {}, "notice_hash": cfg["notice"]["hash"]}
    r = client.post("/privacy/consent/decision", json=body, headers={"Origin": SITE})
    assert r.status_code == 429, r.text
    assert "for this device" in r.text and int(r.headers["Retry-After"]) > 0
    subject = ledger.make_subject("device", device, settings)
    # Two choices of two optional categories each were recorded; the refused one was not.
    assert len(repository_subjects.history_of(db_session, subject.hash, "analytics.reporting")) == 2
    # Another device from the same address: the per-IP limit (4; the refused hit counted)
    # is the banner's own, not the forms' 20.
    _decide(client, str(uuid.uuid4()), {})
    r = client.post("/privacy/consent/decision", json=body | {"device_id": str(uuid.uuid4())})
    assert r.status_code == 429 and "from your address" in r.text
    assert app.state.limiter.refusals() == {"banner": 2}
