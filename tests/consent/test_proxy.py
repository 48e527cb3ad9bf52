"""Client IPs in consent records come from X-Forwarded-For only behind a trusted proxy."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.models.consent import ConsentRecord
from ombud.models.datamap import DataMapVersion

PROXY = "198.51.100.7"


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The test settings with ``trusted_proxies`` from the test's parameter."""
    settings.trusted_proxies = getattr(request, "param", "")
    return settings


@pytest.mark.parametrize(
    ("settings", "peer", "expected"),
    [
        ("", PROXY, "198.51.100.0/24"),  # no proxy trusted: the header is ignored
        ("198.51.100.0/24", PROXY, "203.0.113.0/24"),  # the proxy's header is believed
        ("192.0.2.1", PROXY, "198.51.100.0/24"),  # a stranger cannot forge its address
        ("2001:db8::/32", "2001:db8::5", "203.0.113.0/24"),
    ],
    indirect=["settings"],
)
def test_forwarded_ip_recorded_only_from_trusted_proxy(
    app: FastAPI,
    db_session: Session,
    datamap: DataMapVersion,
    settings: Settings,
    peer: str,
    expected: str,
) -> None:
    with TestClient(app, client=(peer, 40000)) as client:
        res = client.post(
            "/privacy/subscribe",
            data={"email": "pia@example.com", "purpose": "privacy_statement_updates"},
            headers={"X-Forwarded-For": "203.0.113.45", "X-Forwarded-Proto": "https"},
        )
    assert res.status_code == 200, res.text
    rec = db_session.scalars(select(ConsentRecord)).one()
    assert rec.ip == expected
    # The recorded source URL follows the scheme the person used, as the proxy reports it.
    trusted = expected == "203.0.113.0/24"
    assert rec.source_url.startswith("https://" if trusted else "http://")


def test_trusted_proxies_setting_is_checked() -> None:
    assert Settings(trusted_proxies=" 10.1.2.3/8, ::1 ").trusted_proxies == "10.0.0.0/8,::1"
    assert Settings(trusted_proxies="10.0.0.1,*").trusted_proxies == "*"
    with pytest.raises(ValidationError, match=r"'proxy\.local' is not an IP address or network"):
        Settings(trusted_proxies="proxy.local")
