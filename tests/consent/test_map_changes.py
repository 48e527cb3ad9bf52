"""Decisions use the data map this process saw last, and the write itself checks it is still
in force: a map applied meanwhile (by another process) is picked up, never silently ignored."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from ombud.consent import ledger, purposes, service
from ombud.consent.schemas import DecisionCreate
from ombud.datamap import service as datamap_service
from ombud.datamap.loader import load_datamap
from ombud.models.consent import ConsentRecord
from ombud.models.datamap import DataMapVersion
from tests.consent.conftest import DATAMAP_FILE


def _apply_behind_the_cache(db_session: Session, tmp_path: Path, old: str, new: str) -> None:
    """Apply a changed map the way another process would: this one's caches do not see it."""
    text = DATAMAP_FILE.read_text(encoding="utf-8")
    assert old in text
    changed = tmp_path / "datamap.yml"
    changed.write_text(text.replace(old, new), encoding="utf-8")
    datamap_service.apply_map(db_session, datamap=load_datamap(changed), files={}, author="other")
    db_session.commit()


def _decide(db_session: Session, purpose: str) -> ConsentRecord:
    item = DecisionCreate(email="m@example.com", purpose=purpose, decision="granted", method="api")
    return service.record_decisions(db_session, items=[item], actor="test")[0]


def test_changed_notice_applied_elsewhere_is_recorded(
    db_session: Session, datamap: DataMapVersion, tmp_path: Path
) -> None:
    first = _decide(db_session, "newsletter")
    assert first.notice_version == 1
    seen = purposes.latest_known_map(db_session)
    _apply_behind_the_cache(db_session, tmp_path, "One email a month;", "Two emails a month;")
    assert purposes.latest_known_map(db_session) is seen  # still the old map, unasked
    second = _decide(db_session, "newsletter")
    # The write noticed the new map and recorded the notice text now in force.
    assert second.notice_version == 2
    assert purposes.latest_known_map(db_session) is not seen
    subject = ledger.email_subject("m@example.com")
    history = service.history(db_session, subject=subject)
    assert [r.notice_version for r in history] == [1, 2]


def test_purpose_added_elsewhere_is_accepted(
    db_session: Session, datamap: DataMapVersion, tmp_path: Path
) -> None:
    _decide(db_session, "newsletter")
    _apply_behind_the_cache(
        db_session,
        tmp_path,
        "subscription:\n",
        "subscription:\n  - {fides_key: webinars, name: Webinars, notice: Invitations.}\n",
    )
    rec = _decide(db_session, "webinars")
    assert (rec.purpose, rec.notice_version) == ("webinars", 1)
