"""Data categories, data uses and data subjects: fideslang's default taxonomy plus the map's own.

Custom entries and label overrides come from ``DataMap.taxonomy``, e.g.
``taxonomy: {data_category: [{fides_key: user.contact.email, name: "Email address"}]}``."""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import cache

from fideslang.default_taxonomy import DEFAULT_TAXONOMY

from ombud import i18n
from ombud.datamap import labels
from ombud.datamap.schemas import DataMap

Kind = labels.Kind
KINDS: tuple[Kind, ...] = ("data_category", "data_use", "data_subject")


def _custom(kind: Kind, datamap: DataMap | None) -> dict[str, dict[str, object]]:
    if datamap is None:
        return {}
    out: dict[str, dict[str, object]] = {}
    for entry in datamap.taxonomy.get(kind, []):
        key = entry.get("fides_key")
        if isinstance(key, str):
            out[key] = entry
    return out


@cache
def _defaults(kind: Kind) -> dict[str, tuple[str, str]]:
    """{fides_key: (name, description)} of fideslang's default taxonomy for one kind."""
    items = getattr(DEFAULT_TAXONOMY, kind)
    return {str(i.fides_key): (str(i.name or ""), str(i.description or "")) for i in items}


def keys(kind: Kind, datamap: DataMap | None = None) -> set[str]:
    """Every valid key of ``kind``: fideslang defaults plus the map's custom entries."""
    return set(_defaults(kind)) | set(_custom(kind, datamap))


def _humanise(key: str) -> str:
    return key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def label(kind: Kind, key: str, datamap: DataMap | None = None, language: str = "") -> str:
    """Plain-words label of a key in ``language`` (default: the current one).

    Order: the map's own words in that language, Ombud's words for the key, the map's English
    name, Ombud's words for the nearest parent, then the key's last part in words."""
    return _words(kind, key, datamap, language or i18n.current())[0]


def description(kind: Kind, key: str, datamap: DataMap | None = None, language: str = "") -> str:
    """One line explaining a key in ``language`` (map override first); empty when unknown."""
    return _words(kind, key, datamap, language or i18n.current())[1]


def _words(kind: Kind, key: str, datamap: DataMap | None, language: str) -> tuple[str, str]:
    entry = _custom(kind, datamap).get(key, {})
    name, explanation = labels.own(entry, language)
    if name:
        return name, explanation
    exact = labels.TABLES[kind].get(key)
    if exact is not None:
        return labels.shipped(kind, key, language) or ("", "")
    english, english_explanation = labels.own(entry, "en")
    if english and language == "en":
        return english, english_explanation
    parent = labels.shipped(kind, key, language)
    if english and parent is None:
        return english, english_explanation
    default = _defaults(kind).get(key)
    if language == "en" and default and default[0]:
        return _fides_name(kind, default[0]), default[1]
    if parent is not None:
        return parent
    return _humanise(key), ""


def _fides_name(kind: Kind, text: str) -> str:
    # fideslang prefixes many names with "User " / "User Contact "; a reader does not need it.
    for prefix in ("User Contact ", "User "):
        if kind == "data_category" and text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix) :]
            return text[0].upper() + text[1:]
    return text


def _score(wrong: str, candidate: str) -> float:
    ratio = SequenceMatcher(None, wrong, candidate).ratio()
    # A key whose last part matches ("email" -> "user.contact.email") is very likely meant.
    if wrong.rsplit(".", 1)[-1] == candidate.rsplit(".", 1)[-1]:
        ratio += 0.3
    return ratio


def suggest(kind: Kind, key: str, datamap: DataMap | None = None) -> str | None:
    """The valid key nearest to ``key``, or None if nothing is reasonably close."""
    best: tuple[float, str] | None = None
    for candidate in sorted(keys(kind, datamap)):
        score = _score(key, candidate)
        if best is None or score > best[0]:
            best = (score, candidate)
    if best is None or best[0] < 0.6:
        return None
    return best[1]


def is_personal_category(key: str) -> bool:
    """True for categories describing people; False for ``system`` and ``system.*``."""
    return key != "system" and not key.startswith("system.")
