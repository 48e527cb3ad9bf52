"""Structure every public page shares: the navigation names the sub-processor list, and a table
under a heading of the same words is named by the heading, not by a repeated caption."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.datamap.loader import load_datamap
from ombud.datamap.service import apply_map
from tests.web.live import DEMO_MAP

PAGES = ("/", "/privacy/statement", "/privacy/sub-processors", "/privacy/request")


def _demo(db_session: Session) -> None:
    apply_map(db_session, datamap=load_datamap(DEMO_MAP), files={}, author="test")
    db_session.commit()


def test_navigation_includes_the_sub_processor_list(
    client: TestClient, db_session: Session
) -> None:
    _demo(db_session)
    for path in PAGES:
        page = client.get(path).text
        nav = page.split('<nav aria-label="Privacy pages">', 1)[1].split("</nav>", 1)[0]
        assert '<a href="/privacy/sub-processors">Sub-processors</a>' in nav, path


def test_tables_do_not_repeat_their_heading_as_caption(
    client: TestClient, db_session: Session
) -> None:
    _demo(db_session)
    statement = client.get("/privacy/statement").text
    headed = re.findall(
        r'<h3 id="([^"]+)">([^<]+)</h3>\s*<div class="table-wrap">\s*<table([^>]*)>\s*(<caption>)?',
        statement,
    )
    assert headed, "the statement has recipient tables under their own headings"
    for anchor, title, attributes, caption in headed:
        assert caption == "", title
        assert f'aria-labelledby="{anchor}"' in attributes, title
    processors = "Service providers who process data on our behalf (processors)"
    assert f"<caption>{processors}</caption>" not in statement
    subprocessors = client.get("/privacy/sub-processors").text
    assert "<caption>" not in subprocessors
    assert '<table aria-labelledby="subprocessors-title">' in subprocessors


def test_a_language_picked_with_the_switcher_is_kept(
    client: TestClient, db_session: Session
) -> None:
    _demo(db_session)
    english = {"Accept-Language": "en-GB"}
    page = client.get("/privacy/request?lang=de", headers=english)
    assert page.headers["content-language"] == "de"
    assert "ombud_lang=de" in page.headers["set-cookie"]
    assert "HttpOnly" in page.headers["set-cookie"]
    switcher = page.text.split('<nav class="languages" aria-label="Sprache">', 1)[1]
    assert '<a href="?lang=de" lang="de" hreflang="de" aria-current="true">Deutsch</a>' in switcher
    later = client.get("/privacy/sub-processors", headers=english)
    assert later.headers["content-language"] == "de" and "set-cookie" not in later.headers
    assert "ombud_lang" in client.get("/privacy/statement").text  # listed among our cookies
