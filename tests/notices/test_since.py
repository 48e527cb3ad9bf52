""" "Out of date since": the loading of the data map version that put the published statement
out of date, found from the stored versions (not the first change after publishing)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ombud.config import get_settings
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.models.datamap import DataMapVersion
from ombud.notices import service
from ombud.notices.check import check
from ombud.notices.versions import render_datamap
from tests.notices.conftest import store, with_recipient


def _described(datamap: DataMap, text: str) -> DataMap:
    """A copy whose first system has another description (not shown in the statement)."""
    first = datamap.system[0].model_copy(update={"description": text})
    return datamap.model_copy(update={"system": [first, *datamap.system[1:]]})


def _latest(session: Session) -> DataMapVersion:
    return datamap_service.get_current_version(session)


def test_since_is_when_the_version_that_changed_the_statement_was_loaded(
    db_session: Session, datamap: DataMap
) -> None:
    settings = get_settings()
    store(db_session, datamap)
    service.publish(db_session, settings, actor="test")
    db_session.commit()
    # A change the statement does not show: still up to date.
    quiet = _described(datamap, "An internal note on the mail system")
    hashes = {
        render_datamap(m, honour_dnt=settings.honour_dnt, base_url=settings.base_url).content_hash
        for m in (datamap, quiet)
    }
    assert len(hashes) == 1, "the description must not change the statement for this test"
    store(db_session, quiet)
    assert check(db_session, settings).up_to_date
    # The change that alters it: a new processor. "Since" is its loading, not the quiet one's.
    louder = with_recipient(quiet, fides_key="textbird", name="Textbird Inc.", country="US")
    store(db_session, louder)
    changing = _latest(db_session)
    report = check(db_session, settings)
    assert not report.up_to_date
    assert (report.since, report.since_datamap) == (changing.created_at, changing.number)
    # A later change on top keeps the date of the one that began the drift.
    store(db_session, _described(louder, "Another note"))
    report = check(db_session, settings)
    assert (report.since, report.since_datamap) == (changing.created_at, changing.number)
    words = report.summary()
    assert words.startswith("statement out of date since ")
    assert f"(data map version {changing.number})" in words
    assert changing.created_at.strftime("%Y") in words and " UTC" in words
    # Going back to what was published ends the drift; a new change starts a new "since".
    store(db_session, quiet)
    assert check(db_session, settings).up_to_date
    store(db_session, louder)
    again = _latest(db_session)
    report = check(db_session, settings)
    assert report.since_datamap == again.number != changing.number
    assert report.since == again.created_at


def test_since_is_the_publishing_when_no_map_was_loaded_after_it(
    db_session: Session, datamap: DataMap
) -> None:
    settings = get_settings()
    store(db_session, datamap)
    published = service.publish(db_session, settings, actor="test").version
    db_session.commit()
    # The rendering changes without a new data map (here a setting; or an upgrade).
    changed = settings.model_copy(update={"honour_dnt": not settings.honour_dnt})
    report = check(db_session, changed)
    assert not report.up_to_date
    assert (report.since, report.since_datamap) == (published.published_at, None)
    assert report.summary().startswith("statement out of date since ")
