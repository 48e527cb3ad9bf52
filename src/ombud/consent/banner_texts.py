"""The cookie banner's wording, through the gettext catalogs (``ombud.i18n``): English is the
source, every language with a catalog is offered (the visitor's language when known)."""

from __future__ import annotations

from typing import Any

from ombud import i18n
from ombud.i18n import gettext as _
from ombud.i18n import pgettext

DEFAULT_LANG = i18n.SOURCE


def _texts() -> dict[str, str]:
    """Interface texts in the current language."""
    return {
        "title": _("Cookies on this website"),
        "intro": _(
            "We use cookies that are strictly necessary for the site to work. With your "
            "consent we also use the others listed in the settings. You can change your "
            "choice at any time with the cookie settings link."
        ),
        "accept": _("Accept all"),
        "reject": _("Reject all"),
        "settings": _("Settings"),
        "save": _("Save choices"),
        "back": _("Back"),
        "statement": _("Privacy statement"),
        "reopen": _("Cookie settings"),
        "gpc": _(
            "Your browser sends a Global Privacy Control signal, so we refused these "
            "categories for you:"
        ),
        "always": _("Always on"),
        "name": _("Name"),
        "provider": _("Provider"),
        "duration": _("Duration"),
        "purpose": _("Purpose"),
        "cookies": _("Cookies"),
    }


def _categories() -> dict[str, tuple[str, str]]:
    """Title and description of each cookie category in the current language."""
    return {
        "strictly_necessary": (
            pgettext("cookie category", "Strictly necessary"),
            _("Needed for the website to work and to remember your cookie choice."),
        ),
        "functional": (
            pgettext("cookie category", "Functional"),
            _("Remember settings such as your language."),
        ),
        "analytics": (
            pgettext("cookie category", "Analytics"),
            _("Help us understand how the website is used."),
        ),
        "advertising": (
            pgettext("cookie category", "Advertising"),
            _(
                "Let advertising partners measure and personalise ads; this can be a sale or "
                "sharing of personal information."
            ),
        ),
    }


def pick_lang(requested: str) -> str:
    """The first language with a catalog in ``requested`` (a tag or an Accept-Language value)."""
    for part in requested.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in i18n.available():
            return tag
    return DEFAULT_LANG


def texts(lang: str) -> dict[str, Any]:
    """Interface texts in the visitor's language."""
    chosen = pick_lang(lang)
    with i18n.use(chosen):
        return {"lang": chosen, "texts": _texts()}


def category_text(key: str, lang: str) -> dict[str, str]:
    """Title and description of a category (English when the language has none)."""
    with i18n.use(lang):
        title, description = _categories().get(key, (key.replace("_", " ").capitalize(), ""))
    return {"title": title, "description": description}
