"""The demo statement, published, walked item by item against the GDPR Art. 13/14 and CCPA
§ 7011 checklists (tests/notices/checklists.py), in English and in German."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.datamap.loader import load_datamap
from ombud.notices import service
from ombud.notices.blocks import section_text
from tests.notices.checklists import CCPA, GDPR, Item
from tests.notices.conftest import DEMO_DIR, store


def _page_words(html: str) -> str:
    """The visible words of a page, tags removed, whitespace collapsed."""
    without = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", unescape(without))


@pytest.fixture
def published(
    client: TestClient, db_session: Session, settings: Settings
) -> dict[str, dict[str, str]]:
    """The demo statement published; per language, section texts and the page's words."""
    store(db_session, load_datamap(DEMO_DIR))
    version = service.publish(
        db_session, settings, actor="test", effective=date(2026, 1, 1)
    ).version
    db_session.commit()
    translations: dict[str, Any] = version.translations or {}
    out: dict[str, dict[str, str]] = {}
    for language in ("en", "de"):
        sections = version.sections if language == "en" else translations[language]["sections"]
        texts = {s["key"]: s["text"] for s in sections}
        page = client.get(f"/privacy/statement?lang={language}")
        assert page.status_code == 200
        texts["page"] = _page_words(page.text)
        out[language] = texts
    return out


def _missing(items: tuple[Item, ...], texts: dict[str, str], language: str) -> list[str]:
    problems = []
    for item in items:
        section = texts.get(item.section)
        if section is None:
            problems.append(f"{item.law} {item.number} ({item.what}): no section {item.section}")
            continue
        for pattern in item.en if language == "en" else item.de:
            if not re.search(pattern, section, re.IGNORECASE | re.DOTALL):
                problems.append(f"{item.law} {item.number} ({item.what}): /{pattern}/ not found")
    return problems


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_gdpr_article_13_14_item_is_in_the_statement(
    published: dict[str, dict[str, str]], language: str
) -> None:
    assert len(GDPR) == 26
    assert _missing(GDPR, published[language], language) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_ccpa_item_is_in_the_statement(
    published: dict[str, dict[str, str]], language: str
) -> None:
    assert len(CCPA) == 26
    assert _missing(CCPA, published[language], language) == []


def test_the_german_statement_is_german(published: dict[str, dict[str, str]]) -> None:
    german = "\n".join(published["de"].values())
    for english in ("Who we are", "Legal basis", "Used for:", "We do not sell", "the United"):
        assert english not in german


def test_notice_at_collection_says_what_section_7012_asks(
    client: TestClient, db_session: Session
) -> None:
    store(db_session, load_datamap(DEMO_DIR))
    for language, words in (
        ("en", ("Identifiers (such as", "used for:", "We sell or share some of it",
                "Do Not Sell or Share My Personal Information", "We keep it as long",
                'href="/privacy/statement"')),
        ("de", ("Kennungen (etwa", "verwendet für:", "Einen Teil davon verkaufen oder teilen wir",
                "Wir speichern sie so lange", 'href="/privacy/statement"')),
    ):  # fmt: skip
        res = client.get(f"/privacy/notice-at-collection?lang={language}")
        assert res.status_code == 200
        assert res.headers["content-language"] == language
        for expected in words:
            assert expected in res.text, (language, expected)


def test_a_missing_phrase_translation_falls_back_to_english_and_is_listed() -> None:
    from ombud.notices.phrases import untranslated
    from ombud.notices.render import build

    demo = load_datamap(DEMO_DIR)
    assert untranslated(demo, "de") == []
    table = dict(demo.translations["de"])
    del table["Take payments"]
    changed = demo.model_copy(update={"translations": {"de": table}})
    assert untranslated(changed, "de") == ["Take payments"]
    german = build(changed, honour_dnt=False, language="de")
    use = next(s for s in german.sections if s.key == "how_we_use_it")
    assert "Take payments | Name, E-Mail-Adresse" in section_text(use)
