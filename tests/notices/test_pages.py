"""Publishing versions, and the public pages: statement, versions, diff, feeds, sub-processors."""

from __future__ import annotations

from datetime import date
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.errors import Conflict, InvalidInput
from ombud.notices import service
from tests.fixtures.api import Clock
from tests.notices.conftest import assert_valid_html, store, with_recipient

A = "{http://www.w3.org/2005/Atom}"
HTML = {"Accept": "text/html"}


def publish_two(session: Session, settings: Settings, datamap: DataMap, clock: Clock) -> None:
    """Version 1 from the test map; version 2 adds Textbird and drops Statsly."""
    store(session, datamap)
    service.publish(session, settings, actor="test", effective=date(2026, 3, 2))
    clock.advance(days=10)
    changed = with_recipient(datamap, fides_key="textbird", name="Textbird Inc.", country="US",
                             safeguard="standard_contractual_clauses")  # fmt: skip
    changed = changed.model_copy(
        update={"recipient": [r for r in changed.recipient if r.fides_key != "plausible_us"]}
    )
    store(session, changed)
    service.publish(
        session,
        settings,
        actor="test",
        material=True,
        effective=date(2026, 4, 1),
        summary="We now send text messages through Textbird.",
    )
    session.commit()


def test_draft_page_before_anything_is_published(
    client: TestClient, db_session: Session, datamap: DataMap
) -> None:
    store(db_session, datamap)
    res = client.get("/privacy/statement")
    assert res.status_code == 200
    assert "<strong>Draft</strong>" in res.text
    assert "Privacy statement of Lumen Mail" in res.text
    assert 'href="/static/ombud.css"' in res.text
    assert_valid_html(res.text)


def test_publish_then_page_shows_version_and_effective_date(
    client: TestClient,
    db_session: Session,
    settings: Settings,
    datamap: DataMap,
    frozen_clock: Clock,
) -> None:
    publish_two(db_session, settings, datamap, frozen_clock)
    frozen_clock.advance(days=20)  # 1 April 2026: version 2 takes effect
    page = client.get("/privacy/statement").text
    assert "Version 2, effective" in page and "1 April 2026" in page
    assert "Draft" not in page and "This version takes effect" not in page
    sharing = page.split('id="sharing"')[1].split("</section>")[0]
    assert "Textbird Inc." in sharing and "Statsly" not in sharing
    assert_valid_html(page)
    old = client.get("/privacy/statement/versions/1").text
    assert "Version 1, effective" in old and "This is an earlier version" in old
    assert "Textbird" not in old
    assert_valid_html(old)
    listing = client.get("/privacy/statement/versions").text
    assert "Version 2</a> (material)" in listing
    assert "We now send text messages through Textbird." in listing
    assert "/privacy/statement/diff?from=1&amp;to=2" in listing
    assert_valid_html(listing)


def test_a_version_with_a_later_effective_date_replaces_the_page_on_that_date(
    client: TestClient,
    db_session: Session,
    settings: Settings,
    datamap: DataMap,
    frozen_clock: Clock,
) -> None:
    publish_two(db_session, settings, datamap, frozen_clock)  # now 12 March, v2 from 1 April
    before = client.get("/privacy/statement").text
    assert "Version 1, effective" in before and "Version 2, effective" not in before
    assert "A new version takes effect on" in before and "1 April 2026" in before
    assert "/privacy/statement/diff?from=1&amp;to=2" in before
    sharing = before.split('id="sharing"')[1].split("</section>")[0]
    assert "Statsly" in sharing and "Textbird" not in sharing
    assert_valid_html(before)
    ahead = client.get("/privacy/statement/versions/2").text
    assert "This version takes effect on" in ahead and "earlier version" not in ahead
    processors = client.get("/privacy/sub-processors").text
    assert "Textbird" not in processors
    frozen_clock.advance(days=19)  # 31 March: still version 1
    assert "Version 1, effective" in client.get("/privacy/statement").text
    frozen_clock.advance(days=1)  # 1 April
    after = client.get("/privacy/statement").text
    assert "Version 2, effective" in after and "A new version takes effect" not in after
    assert "Textbird" in client.get("/privacy/sub-processors").text


def test_identical_content_is_refused_and_dates_cannot_go_back(
    db_session: Session, settings: Settings, datamap: DataMap, frozen_clock: Clock
) -> None:
    publish_two(db_session, settings, datamap, frozen_clock)
    with pytest.raises(Conflict, match="identical to version 2"):
        service.publish(db_session, settings, actor="test")
    store(db_session, with_recipient(datamap, fides_key="x", name="X GmbH", country="DE"))
    with pytest.raises(InvalidInput, match="before version 2"):
        service.publish(db_session, settings, actor="test", effective=date(2026, 1, 1))
    with pytest.raises(InvalidInput, match="needs --summary"):
        service.publish(db_session, settings, actor="test", material=True)


def test_word_level_diff(
    client: TestClient,
    db_session: Session,
    settings: Settings,
    datamap: DataMap,
    frozen_clock: Clock,
) -> None:
    publish_two(db_session, settings, datamap, frozen_clock)
    res = client.get("/privacy/statement/diff?from=1&to=2")
    assert res.status_code == 200
    page = res.text
    sharing = page.split('id="sharing"')[1].split("</section>")[0]
    assert "<ins>Textbird" in sharing
    assert "<del>Statsly" in sharing
    assert "Hetzner Online GmbH" in sharing  # unchanged words stay, unmarked
    security = page.split('id="security"')[1].split("</section>")[0]
    assert "No changes." in security
    assert_valid_html(page)


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("from=1&to=9", 404, "version 9 does not exist: versions 1 to 2 exist"),
        ("from=one&to=2", 400, "&#39;from&#39; must be a version number, not &#39;one&#39;"),
        ("to=2", 400, "&#39;from&#39; is missing"),
        ("from=0&to=2", 400, "of 1 or more"),
    ],
)
def test_bad_diff_requests_get_a_clear_page(
    client: TestClient,
    db_session: Session,
    settings: Settings,
    datamap: DataMap,
    frozen_clock: Clock,
    query: str,
    status: int,
    message: str,
) -> None:
    publish_two(db_session, settings, datamap, frozen_clock)
    res = client.get(f"/privacy/statement/diff?{query}", headers=HTML)
    assert res.status_code == status
    assert message in res.text
    assert res.headers["content-type"].startswith("text/html")
    assert client.get("/privacy/statement/versions/7", headers=HTML).status_code == 404
    assert client.get("/privacy/statement/versions/x", headers=HTML).status_code == 400


def test_statement_feed_is_valid_atom(
    client: TestClient,
    db_session: Session,
    settings: Settings,
    datamap: DataMap,
    frozen_clock: Clock,
) -> None:
    publish_two(db_session, settings, datamap, frozen_clock)
    res = client.get("/privacy/statement/feed.xml")
    assert res.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(res.content)
    assert feed.tag == f"{A}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{A}{required}") is not None, required
    assert feed.findtext(f"{A}author/{A}name") == "Lumen Mail"
    assert feed.find(f"{A}link[@rel='self']") is not None
    entries = feed.findall(f"{A}entry")
    assert len(entries) == 2
    newest = entries[0]
    for required in ("id", "title", "updated", "summary"):
        assert newest.findtext(f"{A}{required}"), required
    assert newest.findtext(f"{A}summary") == "We now send text messages through Textbird."
    links = {link.get("rel"): link.get("href") for link in newest.findall(f"{A}link")}
    assert links["alternate"] == "http://testserver/privacy/statement/versions/2"
    assert links["related"] == "http://testserver/privacy/statement/diff?from=1&to=2"
    assert newest.findtext(f"{A}updated") == "2026-03-12T09:00:00Z"
    assert client.get("/privacy/statement/diff?from=1&to=2").status_code == 200


def test_subprocessors_page_and_feed(
    client: TestClient,
    db_session: Session,
    settings: Settings,
    datamap: DataMap,
    frozen_clock: Clock,
) -> None:
    store(db_session, datamap)
    draft = client.get("/privacy/sub-processors").text
    assert "Draft" in draft and "Statsly Analytics" in draft
    publish_two(db_session, settings, datamap, frozen_clock)
    frozen_clock.advance(days=20)  # version 2 is in force from 1 April
    page = client.get("/privacy/sub-processors").text
    assert_valid_html(page)
    assert "version 2" in page
    row = page.split("Textbird Inc.")[1].split("</tr>")[0]
    assert "Sending text messages" in row and "United States" in row
    assert "standard contractual clauses" in row
    assert "Finanzamt" not in page  # an authority, not a processor
    assert "Statsly" not in page
    feed = ET.fromstring(client.get("/privacy/sub-processors/feed.xml").content)
    assert feed.findtext(f"{A}id") == "http://testserver/privacy/sub-processors/feed.xml"
    entries = feed.findall(f"{A}entry")
    assert [e.findtext(f"{A}title") for e in entries] == [
        "Sub-processors changed with statement version 2",
        "Sub-processors changed with statement version 1",
    ]
    summary = entries[0].findtext(f"{A}summary") or ""
    assert summary.startswith("Added: Textbird Inc. (United States, Sending text messages).")
    assert "Removed: Statsly Analytics" in summary
    assert "Added: Hetzner Online GmbH" in (entries[1].findtext(f"{A}summary") or "")
