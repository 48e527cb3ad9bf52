"""/brand.css: the data map's brand colours as CSS custom properties, served by Ombud (the
pages' CSP forbids inline styles); every page links it and names the company."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.datamap import colours
from ombud.datamap.appearance import Brand, BrandColours
from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import Organization
from ombud.datamap.service import apply_map
from ombud.web.brand import from_organization, stylesheet
from tests.web.live import DEMO_MAP


def test_without_a_map_pages_are_neutral_and_brand_css_is_empty(client: TestClient) -> None:
    res = client.get("/brand.css")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/css")
    assert "--accent" not in res.text
    page = client.get("/").text
    assert '<p class="brand">Privacy</p>' in page and "/brand.css" not in page


def test_the_demo_brand_reaches_every_page(client: TestClient, db_session: Session) -> None:
    apply_map(db_session, datamap=load_datamap(DEMO_MAP), files={}, author="test")
    db_session.commit()
    css = client.get("/brand.css")
    assert "--accent: #0b6e66;" in css.text and "--header-bg: #12403c;" in css.text
    assert "max-age" in css.headers["cache-control"]
    assert "'unsafe-inline'" not in css.headers["content-security-policy"]
    for path in ("/", "/privacy/statement", "/privacy/request", "/privacy/subscribe"):
        page = client.get(path).text
        version = re.search(r'href="/brand.css\?v=([0-9a-f]{12})"', page)
        assert version is not None, path
        assert 'alt="Postlicht Mail"' in page and " · Postlicht Mail</title>" in page
        assert '<a href="https://postlicht.example">Back to Postlicht Mail</a>' in page
        assert '<a href="https://postlicht.example/imprint">Imprint</a>' in page
        assert 'style="' not in page and "<style" not in page
    # Error pages have no session to ask: they show the brand last rendered.
    missing = client.get("/privacy/statement/versions/99", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and 'alt="Postlicht Mail"' in missing.text


def test_a_stored_pair_under_aa_is_adjusted_not_shown() -> None:
    # Maps stored before the contrast check existed still get readable pages.
    org = Organization(
        fides_key="x",
        name="X",
        brand=Brand(colours=BrandColours(accent="#99ccff", header_background="#808080")),
    )
    css = stylesheet(org)
    accent = re.search(r"--accent: (#[0-9a-f]{6});", css)
    assert accent is not None and accent.group(1) != "#99ccff"
    assert colours.contrast(accent.group(1), colours.WHITE) >= 4.5
    assert from_organization(org).name == "X"
