"""How the public pages look like the company's own site: the data map's ``organization.brand``."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from ombud.datamap.urls import WebUrl

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


class Strict(BaseModel):
    """Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


def _check_colour(value: str) -> str:
    text = value.strip()
    if text and not HEX_COLOUR.match(text):
        raise ValueError(f"'{text[:20]}' is not a colour Ombud takes: write #rrggbb or #rgb")
    return text


HexColour = Annotated[str, AfterValidator(_check_colour)]


class BrandColours(Strict):
    """Colours of the public pages; each is checked for WCAG AA contrast (validate.py)."""

    accent: HexColour = Field(default="", description="links, buttons and focus ring")
    header_background: HexColour = ""
    header_text: HexColour = Field(default="", description="black or white when empty")


class BrandLink(Strict):
    label: str
    url: WebUrl


class Brand(Strict):
    """How the public pages look like the company's own site."""

    name: str = Field(default="", description="name in the page header; organization name")
    logo: str = Field(
        default="", description="image file beside the data map (svg, png, jpeg, webp, gif)"
    )
    logo_alt: str = Field(default="", description="text of the logo for screen readers")
    colours: BrandColours = BrandColours()
    website: WebUrl = Field(default="", description="main site; the organization's website")
    imprint: WebUrl = ""
    terms: WebUrl = ""
    links: list[BrandLink] = []
