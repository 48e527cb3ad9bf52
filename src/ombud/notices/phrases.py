"""The data map's own phrases the statement and the public pages show, which
``translations:`` may translate."""

from __future__ import annotations

from ombud.datamap.schemas import DataMap
from ombud.datamap.translate import public_phrases
from ombud.notices.collection import notice_at_collection
from ombud.notices.context import Context
from ombud.notices.sections import build_statement


def own_phrases(datamap: DataMap) -> list[str]:
    """Every phrase of the map's own the statement and the notice at collection show."""
    phrases: list[str] = []
    build_statement(datamap, honour_dnt=False, phrases=phrases)
    notice_at_collection(Context(datamap, False, "en", phrases))
    # The public pages' own words (preference center, subscribe) share the same table.
    phrases += [p for p in public_phrases(datamap) if p not in phrases]
    return phrases


def untranslated(datamap: DataMap, language: str) -> list[str]:
    """The map's own phrases without a translation into ``language``."""
    table = datamap.translations.get(language, {})
    return [p for p in own_phrases(datamap) if p not in table]
