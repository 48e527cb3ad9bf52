"""Languages: gettext catalogs read straight from ``locale/<lang>/LC_MESSAGES/ombud.po``.

English is the source language (message ids are the English text), so a string missing from a
catalog falls back to English. Adding a language is adding a catalog; no build step: the ``.po``
file is compiled in memory when first used. See docs/languages.md."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "ombud"
SOURCE = "en"

_current: ContextVar[str] = ContextVar("ombud_language", default=SOURCE)


def _po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def available() -> tuple[str, ...]:
    """Languages with a catalog, English first."""
    found = sorted(p.name for p in LOCALE_DIR.iterdir() if _po_path(p.name).is_file())
    return (SOURCE, *(code for code in found if code != SOURCE))


@cache
def catalog(language: str) -> Catalog:
    """The parsed ``.po`` catalog of ``language`` (an empty one when there is none)."""
    path = _po_path(language)
    if not path.is_file():
        return Catalog(locale=language, domain=DOMAIN)
    with path.open("rb") as fp:
        return read_po(fp, locale=language, domain=DOMAIN)


@cache
def translations(language: str) -> NullTranslations:
    """gettext translations of ``language``; English and unknown languages translate nothing."""
    if language == SOURCE or language not in available():
        return NullTranslations()
    buffer = io.BytesIO()
    # Fuzzy entries are guesses nobody checked: they stay out, English shows instead.
    write_mo(buffer, catalog(language), use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


@lru_cache(maxsize=512)  # twice per request (the language middleware): Babel parses slowly
def normalise(value: str | None) -> str | None:
    """The catalog language a tag names (``de-AT`` → ``de``), or None when there is none."""
    if not value:
        return None
    tag = value.strip().replace("-", "_")
    try:
        code = Locale.parse(tag).language
    except (UnknownLocaleError, ValueError):
        return None
    return code if code in available() else None


def _preferred(header: str) -> list[str]:
    """Language tags of an ``Accept-Language`` header, highest weight first."""
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and tag != "*" and weight > 0:
            weighted.append((-weight, index, tag.replace("-", "_")))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(
    accept_language: str | None, override: str | None = None, default: str = SOURCE
) -> str:
    """The page language: ``?lang=`` if it names a catalog, else the best ``Accept-Language``."""
    chosen = normalise(override)
    if chosen:
        return chosen
    if accept_language:
        # Babel matches "de_AT" to "de" via aliases; plain language codes as a second chance.
        preferred = _preferred(accept_language)
        match = negotiate_locale(preferred, list(available()))
        if match is None:
            match = negotiate_locale([p.split("_")[0] for p in preferred], list(available()))
        if match:
            return match
    return normalise(default) or SOURCE


def current() -> str:
    """The language of what is being rendered now."""
    return _current.get()


@contextmanager
def use(language: str | None) -> Iterator[str]:
    """Render in ``language`` (English when it has no catalog) inside the ``with`` block."""
    code = normalise(language) or SOURCE
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


def set_current(language: str | None) -> str:
    """Set the language for the rest of this context (a request); returns the code used."""
    code = normalise(language) or SOURCE
    _current.set(code)
    return code


def gettext(message: str) -> str:
    """``message`` in the current language, English when the catalog lacks it."""
    return translations(current()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Singular or plural form of a message in the current language."""
    return translations(current()).ungettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` with a disambiguating context, in the current language."""
    return translations(current()).upgettext(context, message)


_ = gettext


class Lazy:
    """A message translated when it is shown: a catalog id with parameters (which may be
    ``Lazy`` or ``Duration`` themselves), so code without a language (a service raising an
    error) can say something that the answer renders in the reader's language."""

    __slots__ = ("msgid", "n", "params", "plural")

    def __init__(
        self, msgid: str, params: dict[str, object], plural: str | None = None, n: int = 1
    ) -> None:
        self.msgid, self.params, self.plural, self.n = msgid, params, plural, n

    def __str__(self) -> str:
        said = ngettext(self.msgid, self.plural, self.n) if self.plural else gettext(self.msgid)
        return said.format(**{k: str(v) for k, v in self.params.items()})

    def __repr__(self) -> str:
        return f"Lazy({self.msgid!r})"

    def english(self) -> str:
        """The message in the source language (logs, JSON APIs)."""
        with use(SOURCE):
            return str(self)


def lazy(msgid: str, **params: object) -> Lazy:
    """``msgid`` (with ``{name}`` parameters) translated when it is shown."""
    return Lazy(msgid, params)


def lazy_plural(singular: str, plural: str, n: int, **params: object) -> Lazy:
    """Singular or plural form of a message chosen and translated when it is shown."""
    return Lazy(singular, {"n": n, **params}, plural, n)


class Duration:
    """A wait in minutes, in words of the language it is shown in ("25 minutes", "25 Minuten")."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: int) -> None:
        self.seconds = max(60, seconds)

    def __str__(self) -> str:
        from babel.units import format_unit

        # Whole minutes, rounded up: "in 60 minutes" is clearer than "in 1 hour" for a wait.
        minutes = (self.seconds + 59) // 60
        return str(format_unit(minutes, "duration-minute", length="long", locale=current()))


def missing(language: str) -> list[str]:
    """Source strings (English catalog) with no translation in ``language``'s catalog."""
    source = catalog(SOURCE)
    target = catalog(language)
    out: list[str] = []
    for message in source:
        if not message.id:
            continue
        found = target.get(message.id, message.context)
        translated = found is not None and not found.fuzzy and _filled(found.string)
        if not translated:
            out.append(message.id if isinstance(message.id, str) else str(message.id[0]))
    return out


def _filled(value: object) -> bool:
    if isinstance(value, (tuple, list)):
        return all(bool(v) for v in value)
    return bool(value)


def clear_cache() -> None:
    """Forget parsed catalogs (tests that write catalogs; a server reload)."""
    available.cache_clear()
    normalise.cache_clear()
    catalog.cache_clear()
    translations.cache_clear()
