"""``/staff/statement``: the draft beside the published version with the section diff, the
"out of date since" banner (the same words as ``/healthz``), publishing and change notices."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.consent import service as consent
from ombud.datamap.schemas import DataMap
from ombud.models.statement import StatementVersion
from ombud.notices import notify, repository
from ombud.notices.notify import PURPOSE
from tests.console.conftest import SignedIn
from tests.notices.conftest import DATAMAP_DIR, store, with_recipient

__all__ = ["DATAMAP_DIR"]


@pytest.fixture
def statement_map(db_session: Session) -> DataMap:
    """The statement tests' data map (an email host with processors in the US), in force."""
    from ombud.datamap.loader import load_datamap

    datamap = load_datamap(DATAMAP_DIR)
    store(db_session, datamap)
    return datamap


def _publish(client: TestClient, token: str, **form: str) -> Any:
    return client.post(
        "/staff/statement/publish", data={"csrf_token": token, **form}, follow_redirects=False
    )


def test_officer_publishes_and_the_page_follows_the_data_map(
    signed_in: SignedIn, db_session: Session, statement_map: DataMap, client: TestClient
) -> None:
    officer, token = signed_in("privacy_officer")
    page = officer.get("/staff/statement")
    assert page.status_code == 200
    assert "never published" in page.text and "Publish version 1" in page.text
    assert "<ins>" in page.text  # every section is new against nothing
    res = _publish(officer, token, summary="")
    assert res.status_code == 303 and res.headers["location"] == "/staff/statement?done=published"
    page = officer.get(res.headers["location"])
    assert "Published." in page.text and "Version 1 is up to date" in page.text
    assert "No section differs from version 1" in page.text
    # A new processor: the page, /healthz and the check say since when, in the same words.
    store(db_session, with_recipient(statement_map, fides_key="textbird", name="Textbird Inc.",
                                     country="US"))  # fmt: skip
    page = officer.get("/staff/statement")
    health = client.get("/healthz?detail=true").json()["statement"]
    since = health.removeprefix("statement out of date since ")
    assert since != health and "(data map version 2)" in since
    assert f"Statement out of date since {since}." in page.text
    assert "Who we share it with" in page.text and "<ins>" in page.text
    assert "added</span> Textbird Inc." in page.text  # the sub-processor waiting to be published
    draft = officer.get("/staff/statement/draft")
    assert draft.status_code == 200 and "Textbird Inc." in draft.text
    # Publishing it again ends the banner; the history lists the processor change.
    assert _publish(officer, token).status_code == 303
    page = officer.get("/staff/statement")
    assert "out of date" not in page.text and "Version 2 is up to date" in page.text
    assert "Version 2 (" in page.text and "added Textbird Inc." in page.text


def test_bad_publishing_input_gets_a_clear_message(
    signed_in: SignedIn, db_session: Session, statement_map: DataMap
) -> None:
    officer, token = signed_in("privacy_officer")
    res = _publish(officer, token, material="yes", summary=" ")
    assert res.status_code == 422 and "a material change needs" in res.text
    res = _publish(officer, token, effective="next tuesday")
    assert (
        res.status_code == 422
        and "effective date: &#39;next tuesday&#39; is not a date" in res.text
    )
    assert repository.latest(db_session) is None
    assert _publish(officer, token).status_code == 303
    res = _publish(officer, token)  # nothing changed since
    assert res.status_code == 409 and "nothing to publish" in res.text
    res = officer.post(
        "/staff/statement/notify",
        data={"csrf_token": token, "version": "x"},
        follow_redirects=False,
    )
    assert res.status_code == 400 and "must be a version number" in res.text
    res = officer.post(
        "/staff/statement/notify",
        data={"csrf_token": token, "version": "1"},
        follow_redirects=False,
    )
    assert res.status_code == 400 and "not a material change" in res.text


def test_a_material_change_tells_subscribers(
    signed_in: SignedIn,
    db_session: Session,
    statement_map: DataMap,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[int] = []
    monkeypatch.setattr(
        notify, "deliver", lambda *a, version_number, **k: sent.append(version_number)
    )
    consent.record_decision(
        db_session, email="sub@example.com", purpose=PURPOSE, decision="granted", method="import"
    )
    db_session.commit()
    officer, token = signed_in("privacy_officer")
    assert "A material change: tell subscribers" in officer.get("/staff/statement").text
    res = _publish(officer, token, material="yes", summary="We added a processor.")
    assert res.status_code == 303
    version = repository.latest(db_session)
    assert isinstance(version, StatementVersion) and version.material
    assert [d.email for d in repository.deliveries(db_session, version_id=version.id)] == [
        "sub@example.com"
    ]
    assert sent == [1]  # sent after the commit, as `ombud statement publish` does
    page = officer.get("/staff/statement")
    assert "Change notices of version 1" in page.text and "1 waiting" in page.text
    res = officer.post(
        "/staff/statement/notify",
        data={"csrf_token": token, "version": "1"},
        follow_redirects=False,
    )
    assert res.status_code == 303 and sent == [1, 1]


def test_viewer_reads_but_cannot_publish(
    signed_in: SignedIn, db_session: Session, statement_map: DataMap
) -> None:
    viewer, token = signed_in("viewer")
    page = viewer.get("/staff/statement")
    assert page.status_code == 200 and "Publish version" not in page.text
    assert 'href="/staff/statement"' in page.text  # in the navigation
    assert _publish(viewer, token).status_code == 403
    assert repository.latest(db_session) is None


def test_without_a_data_map_the_page_says_so(signed_in: SignedIn) -> None:
    viewer, _ = signed_in("viewer")
    page = viewer.get("/staff/statement")
    assert page.status_code == 200 and "No data map is applied yet" in page.text
    assert viewer.get("/staff/statement/draft").status_code == 404
