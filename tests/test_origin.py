"""Public forms refuse cross-site posts; same-origin and header-less posts still work."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.models.datamap import DataMapVersion
from ombud.origin import origin_of
from tests.dsr.conftest import DATAMAP_FILE, counts, store_datamap
from tests.fixtures.smtp import SmtpServer

FORM = {"type": "access", "email": "o@example.test", "country": "DE"}


@pytest.fixture
def datamap(db_session: Session) -> DataMapVersion:
    """The request-form test data map, committed inside the test's rollback."""
    version = store_datamap(db_session, yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8")))
    db_session.commit()
    return version


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://testserver:8080"},
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "null", "Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        # A sandboxed frame on another site: opaque origin, and the browser says cross-site.
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    ],
)
def test_cross_site_posts_are_refused(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    headers: dict[str, str],
) -> None:
    before = counts(db_session)
    page = client.post("/privacy/request", data=FORM, headers={**headers, "Accept": "text/html"})
    assert page.status_code == 403 and "another site" in page.text
    assert "http://testserver" in page.text
    code = client.post(
        "/privacy/preferences/code", data={"email": "o@example.com"}, headers=headers
    )
    assert code.status_code == 403 and "another site" in code.json()["error"]
    assert counts(db_session) == before and smtp_server.mailbox.messages == []


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Origin": "http://testserver"},
        {"Origin": "HTTP://TestServer:80"},
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        # What a browser sends from Ombud's own pages (Referrer-Policy: no-referrer).
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_same_origin_and_plain_posts_work(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer, headers: dict[str, str]
) -> None:
    res = client.post("/privacy/request", data=FORM, headers=headers, follow_redirects=False)
    assert res.status_code == 303


def test_origin_of() -> None:
    assert origin_of("https://Privacy.Example:443/path?q") == "https://privacy.example"
    assert origin_of("http://[::1]:8000/") == "http://[::1]:8000"
    assert origin_of("http://h:notaport") == ""
