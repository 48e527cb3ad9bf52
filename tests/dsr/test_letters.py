"""Letters a person can read: dates in words in their language, the supervisory authority of
their jurisdiction, and "we hold no personal data about you" instead of an empty download."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.datamap.schemas import DataMap
from ombud.dsr import service, wording
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.models.datamap import DataMapVersion
from tests.dsr.conftest import DATAMAP_FILE, code_from, commit, store_datamap
from tests.fixtures.api import Clock
from tests.fixtures.smtp import Mailbox, SmtpServer


def _submit(session: Session, email: str, **kw: object) -> str:
    data = PrivacyRequestCreate.model_validate({"type": "access", "email": email, **kw})
    return service.submit(session, data=data, source="api").id


def _letters(smtp_server: SmtpServer, email: str) -> list[str]:
    return [" ".join(Mailbox.text(m).split()) for m in smtp_server.mailbox.to(email)]


def _verified(session: Session, smtp_server: SmtpServer, email: str, **kw: object) -> str:
    rid = _submit(session, email, **kw)
    commit(session)  # letters leave after the commit
    assert service.verify(session, rid, code=code_from(smtp_server.mailbox, email)).ok
    commit(session)
    return rid


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (datetime(2026, 12, 7, 5, 21, tzinfo=UTC), "en", "7 December 2026, 05:21 UTC"),
        (datetime(2026, 12, 7, 5, 21, tzinfo=UTC), "de", "7. Dezember 2026, 05:21 UTC"),
        ("2026-12-07T05:21:09+00:00", "en", "7 December 2026, 05:21 UTC"),
        ("2026-12-07 05:21:09+00:00", "en", "7 December 2026, 05:21 UTC"),
        (date(2028, 2, 29), "en", "29 February 2028"),
        ("2028-02-29", "de", "29. Februar 2028"),
        (None, "en", ""),
    ],
)
def test_human_dates(value: date | datetime | str | None, language: str, expected: str) -> None:
    assert wording.when(value, language) == expected


def test_language_of_the_request_else_the_map_else_english() -> None:
    assert wording.language_of("de", "en") == "de"
    assert wording.language_of("de-AT", None) == "de"
    assert wording.language_of(None, "de") == "de"
    assert wording.language_of("fr", None) == "en"  # no French letters yet
    assert wording.check_language("de-CH") == "de"
    with pytest.raises(ValueError, match="unknown language 'xx-nope'"):
        wording.check_language("xx-nope")


def test_acknowledgement_in_german_with_the_date_in_words(
    db_session: Session,
    datamap: DataMapVersion,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    _verified(db_session, smtp_server, "jonas@example.test", country="DE", language="de")
    verification, acknowledgement = _letters(smtp_server, "jonas@example.test")
    assert "Um zu bestätigen, dass die Anfrage von Ihnen stammt" in verification
    assert "spätestens bis zum 2. April 2026" in acknowledgement  # frozen at 2 March 2026
    subjects = [m["Subject"] for m in smtp_server.mailbox.to("jonas@example.test")]
    assert subjects[-1].startswith("Wir haben Ihre Datenschutzanfrage erhalten")


def test_unknown_language_is_refused_with_where(
    db_session: Session, datamap: DataMapVersion, dsr_settings: Settings
) -> None:
    with pytest.raises(ValueError, match="unknown language"):
        PrivacyRequestCreate.model_validate(
            {"type": "access", "email": "a@example.test", "language": "klingon-x"}
        )


def test_the_data_maps_default_language(
    db_session: Session, dsr_settings: Settings, smtp_server: SmtpServer, frozen_clock: Clock
) -> None:
    document = yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8"))
    document["organization"]["language"] = "de"
    store_datamap(db_session, document)
    _verified(db_session, smtp_server, "mia@example.test", country="DE")
    assert "Guten Tag" in _letters(smtp_server, "mia@example.test")[-1]
    _verified(db_session, smtp_server, "tom@example.test", country="DE", language="en")
    assert "at the latest by 2 April 2026" in _letters(smtp_server, "tom@example.test")[-1]


@pytest.mark.parametrize(
    ("country", "authority"),
    [
        ("US-CA", "California Privacy Protection Agency"),
        ("GB", "Information Commissioner's Office (ICO)"),
        ("DE", "Berliner Beauftragte"),
    ],
)
def test_denial_names_the_authority_of_the_jurisdiction(
    db_session: Session,
    datamap: DataMapVersion,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
    country: str,
    authority: str,
) -> None:
    email = f"{country.lower()}@example.test"
    rid = _verified(db_session, smtp_server, email, country=country)
    service.deny(db_session, rid, actor="dpo@staff.test", reason="We could not confirm it.")
    commit(db_session)
    letter = _letters(smtp_server, email)[-1]
    assert authority in letter
    others = {"California Privacy", "Information Commissioner", "Berliner Beauftragte"}
    assert not [o for o in others if o in letter and o not in authority]


def test_the_data_map_names_an_authority_per_jurisdiction(
    db_session: Session, dsr_settings: Settings, smtp_server: SmtpServer
) -> None:
    document = yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8"))
    document["jurisdiction"] = [
        {
            "key": "uk_gdpr",
            "authority": {"name": "ICO Wilmslow office", "email": "casework@ico.example"},
        }
    ]
    store_datamap(db_session, document)
    rid = _verified(db_session, smtp_server, "gb@example.test", country="GB")
    service.deny(db_session, rid, actor="dpo@staff.test", reason="Unfounded.")
    commit(db_session)
    letter = _letters(smtp_server, "gb@example.test")[-1]
    assert "ICO Wilmslow office (casework@ico.example)" in letter


def test_no_data_found_says_so_and_offers_no_download(
    db_session: Session,
    datamap: DataMapVersion,
    dsr_settings: Settings,
    smtp_server: SmtpServer,
) -> None:
    rid = _verified(db_session, smtp_server, "ghost@example.test", country="DE")
    service.approve(db_session, rid, actor="dpo@staff.test")
    service.start_execution(db_session, rid, actor="worker")
    service.complete_execution(
        db_session, rid, actor="worker", result={"collections": {}, "no_data": True}
    )
    commit(db_session)
    letter = _letters(smtp_server, "ghost@example.test")[-1]
    assert "We hold no personal data about you." in letter
    assert "there is nothing to download" in letter
    assert "/privacy/exports/" not in letter and "You can download" not in letter


def test_the_data_map_refuses_an_unknown_default_language() -> None:
    document = yaml.safe_load(DATAMAP_FILE.read_text(encoding="utf-8"))
    document["organization"]["language"] = "elvish"
    with pytest.raises(ValueError, match="unknown language 'elvish'"):
        DataMap.model_validate(document)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("fr-FR,fr;q=0.9,en;q=0.5,de;q=0.7", "de"),
        ("en-GB", "en"),
        ("fr, it", None),
        ("de;q=0, en;q=x", None),
        ("", None),
    ],
)
def test_language_from_the_browser(header: str, expected: str | None) -> None:
    assert wording.from_accept_language(header) == expected


def test_web_form_letters_follow_the_browsers_language(
    client: TestClient,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
) -> None:
    form = {"type": "access", "email": "lena@example.test", "country": "DE"}
    res = client.post(
        "/privacy/request",
        data=form,
        headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.8"},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    (letter,) = _letters(smtp_server, "lena@example.test")
    assert "Um zu bestätigen, dass die Anfrage von Ihnen stammt" in letter
