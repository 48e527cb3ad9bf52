"""The cookies Ombud's own pages set, declared once: the pages set them from here and the
statement lists them, so the cookie table cannot miss one. All are strictly necessary."""

from __future__ import annotations

from dataclasses import dataclass

from ombud.datamap.schemas import Cookie, CookieCategory


@dataclass(frozen=True)
class OwnCookie:
    """A cookie set by Ombud's pages."""

    name: str
    max_age_seconds: int
    duration: str
    purpose: str

    def as_datamap_cookie(self, provider: str) -> Cookie:
        """The cookie as a data map entry, for the statement's cookie table."""
        return Cookie(
            name=self.name,
            provider=provider,
            category=CookieCategory.strictly_necessary,
            duration=self.duration,
            purpose=self.purpose,
        )


PREFERENCES_SESSION = OwnCookie(
    name="ombud_prefs",
    max_age_seconds=2 * 3600,
    duration="2 hours",
    purpose=(
        "Keeps you signed in to the privacy preference center after you opened it from the "
        "link we emailed you"
    ),
)
DEVICE = OwnCookie(
    name="ombud_device",
    max_age_seconds=2 * 365 * 86400,
    duration="2 years",
    purpose=(
        "Set only when your browser sends a Global Privacy Control or Do Not Track signal: a "
        "random number that lets us keep honouring that signal for this browser"
    ),
)
BANNER = OwnCookie(
    name="ombud_consent",
    max_age_seconds=365 * 86400,
    duration="12 months",
    purpose=(
        "Set by the cookie banner on this website: your cookie choices and a random number "
        "that links them to the proof of your choice we keep"
    ),
)
LANGUAGE = OwnCookie(
    name="ombud_lang",
    max_age_seconds=365 * 86400,
    duration="12 months",
    purpose=(
        "Set only when you choose a language on the privacy pages: the language you chose, so "
        "the next page is in it too"
    ),
)
OWN_COOKIES = (PREFERENCES_SESSION, DEVICE, BANNER, LANGUAGE)


def with_own_cookies(declared: list[Cookie], provider: str) -> list[Cookie]:
    """The data map's cookies plus Ombud's own (unless the data map already lists them)."""
    names = {c.name for c in declared}
    return declared + [c.as_datamap_cookie(provider) for c in OWN_COOKIES if c.name not in names]
