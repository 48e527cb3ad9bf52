"""The company's brand on every public page: name, logo, footer links and ``/brand.css``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from sqlalchemy.orm import Session

from ombud.datamap import colours
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import Organization
from ombud.datamap.translate import own
from ombud.errors import OmbudError


@dataclass(frozen=True)
class PageBrand:
    """What the page header and footer show; neutral while no data map is in force."""

    name: str = "Privacy"
    logo: str = ""
    logo_alt: str = ""
    website: str = ""
    imprint: str = ""
    terms: str = ""
    links: tuple[tuple[str, str], ...] = ()
    css: str = ""
    css_version: str = field(default="", compare=False)


NEUTRAL = PageBrand()


def from_organization(org: Organization) -> PageBrand:
    """The page brand of an organization of the data map."""
    b = org.brand
    name = b.name or org.name
    links = [(link.label, link.url) for link in b.links]
    css = stylesheet(org)
    return PageBrand(
        name=name,
        # Only an embedded image: a file name the map was applied without is not loadable.
        logo=b.logo if b.logo.startswith("data:image/") else "",
        logo_alt=b.logo_alt or name,
        website=b.website or org.website,
        imprint=b.imprint,
        terms=b.terms,
        links=tuple(links),
        css=css,
        css_version=hashlib.sha256(css.encode()).hexdigest()[:12],
    )


# The brand this process last rendered a page with: error pages have no session to ask.
_LAST_SEEN: list[PageBrand] = []


def page_brand(session: Session) -> PageBrand:
    """The brand of the data map in force, or the neutral one."""
    try:
        datamap = datamap_service.get_current(session)
        brand = from_organization(datamap.organization)
        # The footer's link labels are the map's own words: said in the page's language.
        brand = replace(brand, links=tuple((own(datamap, t), u) for t, u in brand.links))
    except OmbudError:
        brand = NEUTRAL
    _LAST_SEEN[:] = [brand]
    return brand


def last_seen() -> PageBrand:
    """The brand of the last page rendered here (neutral before the first)."""
    return _LAST_SEEN[0] if _LAST_SEEN else NEUTRAL


def stylesheet(org: Organization) -> str:
    """CSS custom properties for the brand colours (validated ``#rrggbb``); a pair under WCAG
    AA is darkened or lightened until it passes."""
    c = org.brand.colours
    props: list[str] = []
    if c.accent:
        accent = colours.normalise(c.accent)
        # Maps stored before contrast was checked are adjusted rather than shown unreadable.
        if colours.contrast(accent, colours.WHITE) < colours.AA_TEXT:
            accent = colours.nearest_passing(accent, colours.WHITE)
        props += [f"--accent: {accent};", f"--on-accent: {colours.best_text(accent)};"]
    if c.header_background:
        background = colours.normalise(c.header_background)
        text = colours.normalise(c.header_text) if c.header_text else colours.best_text(background)
        if colours.contrast(text, background) < colours.AA_TEXT:
            background = colours.nearest_passing(background, text)
        props += [f"--header-bg: {background};", f"--header-fg: {text};"]
    elif c.header_text:
        props.append(f"--header-fg: {colours.normalise(c.header_text)};")
    if not props:
        return "/* no brand colours in the data map */\n"
    return ":root { " + " ".join(props) + " }\n"
