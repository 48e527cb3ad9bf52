"""The data map's own words in another language: its ``translations:`` table, phrase by phrase.

One lookup for the statement, every public page, the banner and the letters: a phrase the
table lacks is shown in English and listed by ``ombud statement check`` (``public_phrases``)."""

from __future__ import annotations

from ombud import i18n
from ombud.datamap.schemas import DataMap


def own(datamap: DataMap | None, phrase: str, language: str | None = None) -> str:
    """``phrase`` of the data map in ``language`` (the current one by default), else as is."""
    code = language or i18n.current()
    if datamap is None or code == i18n.SOURCE or not phrase:
        return phrase
    return datamap.translations.get(code, {}).get(phrase.strip(), phrase)


def public_phrases(datamap: DataMap) -> list[str]:
    """The map's own phrases the public pages show besides the statement: consent purposes'
    names and notices, subscriptions, the footer's links."""
    out: list[str] = []
    for system in datamap.system:
        for decl in system.privacy_declarations:
            if str(decl.legal_basis) == "consent":
                notice = str((decl.model_extra or {}).get("notice", "") or "")
                out += [p for p in (decl.name, notice) if p]
    for sub in datamap.subscription:
        out += [p for p in (sub.name, sub.notice) if p]
    out += [link.label for link in datamap.organization.brand.links if link.label]
    return [p.strip() for p in dict.fromkeys(out)]
