"""The brand of the public pages: the logo file is embedded into the map as a ``data:`` URI
(pages allow images only from Ombud and ``data:``), and colours are checked for contrast."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from pathlib import Path

from ombud.datamap import colours
from ombud.datamap.appearance import Brand
from ombud.datamap.positions import Loc

LOGO_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
MAX_LOGO_BYTES = 256 * 1024
DATA_URI = re.compile(r"^data:(image/(?:svg\+xml|png|jpeg|webp|gif));base64,[A-Za-z0-9+/]+={0,2}$")
LOGO: Loc = ("organization", "brand", "logo")
COLOURS: Loc = ("organization", "brand", "colours")

Report = Callable[[Loc, str], None]


def embed_logo(brand: Brand, root: Path | None, report: Report) -> None:
    """Replace a logo file name by its ``data:`` URI; report what cannot be used."""
    logo = brand.logo.strip()
    if not logo or DATA_URI.match(logo):
        return
    if ":" in logo.split("/", 1)[0]:
        # Deliberately no URL: every visitor's browser would ask the logo's host for it,
        # telling that host who reads which privacy page; the pages' Content-Security-Policy
        # therefore loads images only from Ombud itself and data: URIs.
        report(
            LOGO,
            f"logo '{logo}' is a URL: the pages' Content-Security-Policy loads images only "
            "from Ombud (img-src 'self' data:), so that no visitor's browser tells another "
            "host which privacy page it reads; put the image file beside the data map and "
            "name it here (it is embedded when the map is applied)",
        )
        return
    kind = LOGO_TYPES.get(Path(logo).suffix.lower())
    if kind is None:
        report(LOGO, f"logo '{logo}' is not an image Ombud shows; use .svg, .png, .jpg or .webp")
        return
    if root is None:
        # Files sent as texts (the API) come without their folder: the name stays, and the
        # pages show the company's name instead of a logo they cannot load.
        return
    path = (root / logo).resolve()
    if not path.is_relative_to(root.resolve()):
        report(LOGO, f"logo '{logo}' lies outside the data map folder")
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        report(LOGO, f"cannot read logo '{logo}': {exc.strerror or exc}")
        return
    if len(data) > MAX_LOGO_BYTES:
        report(LOGO, f"logo '{logo}' has {len(data)} bytes; keep it under {MAX_LOGO_BYTES}")
        return
    brand.logo = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def contrast_problems(brand: Brand) -> list[tuple[Loc, str]]:
    """Every brand colour pair under WCAG AA (4.5:1), with a colour that would pass."""
    found: list[tuple[Loc, str]] = []
    c = brand.colours
    if c.accent:
        ratio = colours.contrast(c.accent, colours.WHITE)
        if ratio < colours.AA_TEXT:
            fix = colours.nearest_passing(c.accent, colours.WHITE)
            found.append(
                (
                    (*COLOURS, "accent"),
                    f"accent {c.accent} on the white page has contrast {ratio:.1f}:1; WCAG AA "
                    f"needs 4.5:1 for links and button text: use {fix} or darker",
                )
            )
    if c.header_background:
        text = c.header_text or colours.best_text(c.header_background)
        ratio = colours.contrast(text, c.header_background)
        if ratio < colours.AA_TEXT:
            where = "header_text" if c.header_text else "header_background"
            fix = colours.nearest_passing(c.header_background, text)
            found.append(
                (
                    (*COLOURS, where),
                    f"header text {text} on header background {c.header_background} has "
                    f"contrast {ratio:.1f}:1; WCAG AA needs 4.5:1: use background {fix}",
                )
            )
    elif c.header_text:
        ratio = colours.contrast(c.header_text, colours.WHITE)
        if ratio < colours.AA_TEXT:
            found.append(
                (
                    (*COLOURS, "header_text"),
                    f"header text {c.header_text} on the white header has contrast "
                    f"{ratio:.1f}:1; WCAG AA needs 4.5:1: set header_background too",
                )
            )
    return found
