"""The brand of the public pages in the data map: colours refused under WCAG AA contrast with
one that passes named, the logo file embedded, links checked like every other link."""

from __future__ import annotations

import base64
import shutil
import textwrap
from pathlib import Path

from ombud.datamap import colours
from ombud.datamap.loader import load_datamap, parse_files, read_files
from ombud.web.brand import from_organization
from tests.datamap.helpers import VALID, problems_of

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


def _map(tmp_path: Path, brand: str) -> Path:
    """The valid map with ``brand`` (YAML under ``brand:``) added to its organization."""
    folder = tmp_path / "map"
    shutil.copytree(VALID, folder)
    org = folder / "organization.yml"
    block = textwrap.indent(textwrap.dedent(brand).strip("\n"), " " * 6)
    text = org.read_text(encoding="utf-8")
    anchor = "    name: Mailhaven GmbH\n"
    org.write_text(text.replace(anchor, anchor + "    brand:\n" + block + "\n"), "utf-8")
    return folder


def test_contrast_ratios_follow_wcag() -> None:
    assert round(colours.contrast("#000", "#fff"), 1) == 21.0
    assert round(colours.contrast("#777777", "#ffffff"), 2) == 4.48
    fixed = colours.nearest_passing("#7fb3ff", colours.WHITE)
    assert colours.contrast(fixed, colours.WHITE) >= 4.5
    assert colours.best_text("#12403c") == colours.WHITE


def test_a_brand_that_passes_loads_with_its_logo_embedded(tmp_path: Path) -> None:
    folder = _map(
        tmp_path,
        """
        name: Mailhaven
        logo: logo.svg
        colours: {accent: "#0b6e66", header_background: "#12403c"}
        imprint: https://mailhaven.example/imprint
        links: [{label: Status, url: "https://status.mailhaven.example"}]
        """,
    )
    (folder / "logo.svg").write_bytes(SVG)
    brand = load_datamap(folder).organization.brand
    assert brand.logo == "data:image/svg+xml;base64," + base64.b64encode(SVG).decode()
    assert brand.colours.accent == "#0b6e66" and brand.links[0].label == "Status"


def test_colours_under_aa_are_refused_with_a_colour_that_passes(tmp_path: Path) -> None:
    folder = _map(
        tmp_path,
        """
        colours:
          accent: "#7fb3ff"
          header_background: "#777777"
          header_text: "#ffffff"
        """,
    )
    problems = problems_of(folder)
    accent = next(p for p in problems if "accent #7fb3ff" in p)
    assert "organization.yml:" in accent and "contrast 2.1:1" in accent
    suggested = accent.rsplit("use ", 1)[1].split()[0]
    assert colours.contrast(suggested, colours.WHITE) >= 4.5
    header = next(p for p in problems if "header text #ffffff" in p)
    assert "WCAG AA needs 4.5:1" in header


def test_bad_colours_logos_and_links_are_problems_at_their_place(tmp_path: Path) -> None:
    folder = _map(
        tmp_path,
        """
        logo: https://cdn.example/logo.png
        colours: {accent: "blue; background: url(x)"}
        terms: "javascript:alert(1)"
        """,
    )
    problems = problems_of(folder)
    assert any("is not a colour Ombud takes" in p for p in problems)
    assert any("is not a link Ombud shows" in p for p in problems)
    folder = _map(tmp_path / "2", "logo: ../secret.png\n")
    assert any("lies outside the data map folder" in p for p in problems_of(folder))
    folder = _map(tmp_path / "3", "logo: https://cdn.example/logo.png\n")
    assert any("Content-Security-Policy" in p for p in problems_of(folder))
    folder = _map(tmp_path / "4", "logo: missing.svg\n")
    assert any("cannot read logo 'missing.svg'" in p for p in problems_of(folder))


def test_a_logo_file_sent_without_its_folder_stays_a_name(tmp_path: Path) -> None:
    folder = _map(tmp_path, "logo: logo.svg\n")
    (folder / "logo.svg").write_bytes(SVG)
    # Files sent as texts (the API) cannot carry the image: the pages then show the name.
    brand = parse_files(read_files(folder)).organization.brand
    assert brand.logo == "logo.svg"
    org = parse_files(read_files(folder)).organization
    assert from_organization(org).logo == ""
