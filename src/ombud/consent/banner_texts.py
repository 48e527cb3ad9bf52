"""The cookie banner's wording in English and German (the visitor's language when known)."""

from __future__ import annotations

from typing import Any

DEFAULT_LANG = "en"

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Cookies on this website",
        "intro": (
            "We use cookies that are strictly necessary for the site to work. With your "
            "consent we also use the others listed in the settings. You can change your "
            "choice at any time with the cookie settings link."
        ),
        "accept": "Accept all",
        "reject": "Reject all",
        "settings": "Settings",
        "save": "Save choices",
        "back": "Back",
        "statement": "Privacy statement",
        "reopen": "Cookie settings",
        "gpc": (
            "Your browser sends a Global Privacy Control signal, so we refused these "
            "categories for you:"
        ),
        "always": "Always on",
        "name": "Name",
        "provider": "Provider",
        "duration": "Duration",
        "purpose": "Purpose",
        "cookies": "Cookies",
    },
    "de": {
        "title": "Cookies auf dieser Website",
        "intro": (
            "Wir verwenden Cookies, die für den Betrieb der Website unbedingt erforderlich "
            "sind. Mit Ihrer Einwilligung verwenden wir auch die übrigen, die in den "
            "Einstellungen aufgeführt sind. Über den Link „Cookie-Einstellungen“ können Sie "
            "Ihre Wahl jederzeit ändern."
        ),
        "accept": "Alle akzeptieren",
        "reject": "Alle ablehnen",
        "settings": "Einstellungen",
        "save": "Auswahl speichern",
        "back": "Zurück",
        "statement": "Datenschutzerklärung",
        "reopen": "Cookie-Einstellungen",
        "gpc": (
            "Ihr Browser sendet ein Global-Privacy-Control-Signal, daher haben wir diese "
            "Kategorien für Sie abgelehnt:"
        ),
        "always": "Immer aktiv",
        "name": "Name",
        "provider": "Anbieter",
        "duration": "Dauer",
        "purpose": "Zweck",
        "cookies": "Cookies",
    },
}

CATEGORIES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "strictly_necessary": (
            "Strictly necessary",
            "Needed for the website to work and to remember your cookie choice.",
        ),
        "functional": ("Functional", "Remember settings such as your language."),
        "analytics": ("Analytics", "Help us understand how the website is used."),
        "advertising": (
            "Advertising",
            "Let advertising partners measure and personalise ads; this can be a sale or "
            "sharing of personal information.",
        ),
    },
    "de": {
        "strictly_necessary": (
            "Unbedingt erforderlich",
            "Für den Betrieb der Website und um Ihre Cookie-Wahl zu speichern.",
        ),
        "functional": ("Funktional", "Speichern Einstellungen wie Ihre Sprache."),
        "analytics": ("Statistik", "Helfen uns zu verstehen, wie die Website genutzt wird."),
        "advertising": (
            "Werbung",
            "Erlauben Werbepartnern, Anzeigen zu messen und zu personalisieren; das kann ein "
            "Verkauf oder eine Weitergabe personenbezogener Daten sein.",
        ),
    },
}


def pick_lang(requested: str) -> str:
    """The first supported language in ``requested`` (a tag or an Accept-Language value)."""
    for part in requested.split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in TEXTS:
            return tag
    return DEFAULT_LANG


def texts(lang: str) -> dict[str, Any]:
    """Interface texts in the visitor's language."""
    chosen = pick_lang(lang)
    return {"lang": chosen, "texts": TEXTS[chosen]}


def category_text(key: str, lang: str) -> dict[str, str]:
    """Title and description of a category (English when the language has none)."""
    title, description = CATEGORIES.get(lang, CATEGORIES[DEFAULT_LANG]).get(
        key, (key.replace("_", " ").capitalize(), "")
    )
    return {"title": title, "description": description}
