"""Links the data map gives to people (statements, letters, pages)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

# Links shown to people (statements, letters, pages): a javascript: or data: URL there would
# run in the reader's browser, so only web and mail links are accepted.
URL_SCHEMES = ("https", "http", "mailto")


def _check_url(value: str) -> str:
    text = value.strip()
    if not text:
        return text
    scheme, colon, rest = text.partition(":")
    if not colon or scheme.lower() not in URL_SCHEMES or not rest.strip("/"):
        raise ValueError(
            f"'{text[:80]}' is not a link Ombud shows: use an https:, http: or mailto: URL"
        )
    if any(ord(c) < 32 or c.isspace() for c in text):
        raise ValueError(f"'{text[:80]}' holds spaces or control characters; encode them")
    return text


WebUrl = Annotated[str, AfterValidator(_check_url)]
