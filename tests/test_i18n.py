"""Languages: catalogs read without a build step, negotiation, English fallback, missing strings."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud import i18n
from ombud.datamap.loader import load_datamap
from ombud.web.render import environment
from tests.notices.conftest import DEMO_DIR, store


def test_german_catalog_is_read_from_the_po_file() -> None:
    assert "de" in i18n.available() and i18n.available()[0] == "en"
    with i18n.use("de"):
        assert i18n.gettext("Contents") == "Inhalt"
        # Jinja's _() reads the same catalog, with newstyle %(name)s formatting.
        tpl = environment().from_string('{{ _("Privacy statement of %(org)s", org=name) }}')
        assert tpl.render(name="A & B") == "Datenschutzerklärung von A &amp; B"
    assert i18n.gettext("Contents") == "Contents"


def test_a_string_missing_from_a_catalog_falls_back_to_english() -> None:
    with i18n.use("de"):
        assert i18n.gettext("A sentence no catalog has.") == "A sentence no catalog has."
    with i18n.use("xx"):
        assert i18n.current() == "en"


@pytest.mark.parametrize(
    ("header", "override", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", None, "de"),
        ("fr-FR, en;q=0.5", None, "en"),
        ("fr;q=1, de-AT;q=0.7", None, "de"),
        ("en;q=0.2, de;q=0.9", None, "de"),
        ("de", "en", "en"),
        (None, "de-CH", "de"),
        ("de", "klingon!", "de"),
        (None, None, "en"),
        ("*", None, "en"),
    ],
)
def test_negotiation(header: str | None, override: str | None, expected: str) -> None:
    assert i18n.negotiate(header, override) == expected


def test_missing_lists_source_strings_without_translation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for lang, pairs in (("en", {"One": "", "Two": ""}), ("fr", {"One": "Un", "Two": ""})):
        cat = Catalog(locale=lang, domain="ombud")
        for msgid, msgstr in pairs.items():
            cat.add(msgid, msgstr)
        folder = tmp_path / lang / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with (folder / "ombud.po").open("wb") as fp:
            write_po(fp, cat)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.clear_cache()
    try:
        assert i18n.available() == ("en", "fr")
        assert i18n.missing("fr") == ["Two"]
        with i18n.use("fr"):
            assert i18n.gettext("One") == "Un" and i18n.gettext("Two") == "Two"
    finally:
        monkeypatch.undo()
        i18n.clear_cache()


def test_shipped_german_catalog_is_complete() -> None:
    assert i18n.missing("de") == []


def test_requests_are_answered_in_the_negotiated_language(
    client: TestClient, db_session: Session
) -> None:
    store(db_session, load_datamap(DEMO_DIR))
    res = client.get("/privacy/statement", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert res.headers["content-language"] == "de"
    assert "Accept-Language" in res.headers["vary"]
    assert "Datenschutzerklärung" in res.text
    res = client.get("/privacy/statement?lang=en", headers={"Accept-Language": "de"})
    assert res.headers["content-language"] == "en"
    assert "Privacy statement of" in res.text
