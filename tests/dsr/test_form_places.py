"""The request form: where the person lives is chosen from the places the data map's
jurisdictions name (state where it matters), never typed and silently defaulted; every problem
is a sentence next to its field; what was typed stays. The API refuses unknown codes too."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.dsr import places
from ombud.dsr.formerrors import country_missing, country_unknown
from ombud.models.datamap import DataMapVersion
from ombud.models.requests import PrivacyRequest
from tests.dsr.conftest import counts
from tests.fixtures.smtp import SmtpServer

FORM = {"type": "access", "email": "hana@example.test", "details": "All of it, please."}


def _options(html: str) -> dict[str, str]:
    select = html.split('<select id="country"', 1)[1].split("</select>", 1)[0]
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))


def test_the_form_offers_the_places_of_the_maps_jurisdictions(
    client: TestClient, datamap: DataMapVersion
) -> None:
    html = client.get("/privacy/request").text
    options = _options(html)
    assert options["DE"] == "Germany" and options["FR"] == "France"
    assert options["GB"] == "United Kingdom" and "UK" not in options
    assert options["US-CA"] == "United States: California"
    assert options["US"] == "United States: another state"
    assert options[places.OTHER] == "Another country"
    assert '<input id="country"' not in html  # no free text
    assert 'aria-describedby="country-hint"' in html


@pytest.mark.parametrize(
    ("where", "jurisdiction", "country"),
    [
        ("DE", "gdpr", "DE"),
        ("US-CA", "ccpa", "US"),
        ("GB", "uk_gdpr", "GB"),
        ("other", "default", None),
    ],
)
def test_the_chosen_place_decides_the_rules(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    where: str,
    jurisdiction: str,
    country: str | None,
) -> None:
    res = client.post("/privacy/request", data={**FORM, "country": where}, follow_redirects=False)
    assert res.status_code == 303, res.text
    row = db_session.get(PrivacyRequest, res.headers["location"].split("/")[3])
    assert row is not None and row.jurisdiction == jurisdiction and row.country == country


def test_no_place_is_a_sentence_next_to_the_field_and_the_form_keeps_what_was_typed(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    before = counts(db_session)
    # A type this data map offers on the form (it has no dataset for access requests).
    res = client.post("/privacy/request", data={**FORM, "type": "restriction"})
    assert res.status_code == 422
    assert f'<p class="error" id="country-error">{country_missing()}</p>' in res.text
    assert 'aria-invalid="true" aria-describedby="country-error country-hint"' in res.text
    assert 'value="hana@example.test"' in res.text and "All of it, please." in res.text
    assert '<option value="restriction" selected>' in res.text
    assert "Please correct the problem marked below." in res.text
    assert counts(db_session) == before and smtp_server.mailbox.messages == []


def test_a_place_not_offered_is_refused_not_defaulted(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    before = counts(db_session)
    for value in ("ZZ", "Germany", "US-NY"):
        res = client.post("/privacy/request", data={**FORM, "country": value})
        assert res.status_code == 422, value
        assert f'id="country-error">{country_unknown()}</p>' in res.text
    assert counts(db_session) == before and smtp_server.mailbox.messages == []


def test_every_error_is_a_sentence_next_to_its_field(
    client: TestClient, datamap: DataMapVersion
) -> None:
    res = client.post(
        "/privacy/request",
        data={"type": "", "email": "", "country": "DE", "phone": "1" * 41},
    )
    assert res.status_code == 422
    errors = dict(re.findall(r'<p class="error" id="([a-z_]+)-error">([^<]+)</p>', res.text))
    assert errors == {
        "type": "Choose what you would like us to do from the list.",
        "email": "Please fill in your email address.",
        "phone": "The phone number is too long: use at most 40 characters.",
    }
    for field in errors:
        assert re.search(rf'id="{field}"[^>]*aria-describedby="{field}-error', res.text), field
    assert "Please correct the 3 problems marked below." in res.text


def test_the_api_refuses_unknown_countries_and_jurisdictions(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    before = counts(db_session)
    body = {"type": "access", "email": "ivo@example.test"}
    for bad in ("Germany", "ZZ", "D"):
        res = client.post("/api/v1/requests", json={**body, "country": bad})
        assert res.status_code == 422, bad
        assert "is not a country code Ombud knows" in res.json()["error"]
    res = client.post("/api/v1/requests", json={**body, "country": "US", "region": "C A"})
    assert res.status_code == 422 and "region code" in res.json()["error"]
    res = client.post("/api/v1/requests", json={**body, "jurisdiction": "mars"})
    assert (
        res.status_code == 422 and "unknown jurisdiction 'mars'; use one of:" in res.json()["error"]
    )
    assert counts(db_session) == before and smtp_server.mailbox.messages == []
