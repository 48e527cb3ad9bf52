"""A logo is a file embedded in the data map, never a URL: the validator says why at the
logo's file:line:column, and the pages' Content-Security-Policy keeps images on Ombud."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.datamap.helpers import problems_of
from tests.datamap.test_brand import _map


def test_a_logo_url_is_refused_at_its_line_with_the_reason(tmp_path: Path) -> None:
    folder = _map(tmp_path, "logo: https://cdn.example/logo.png\n")
    problems = [p for p in problems_of(folder) if "logo" in p]
    assert len(problems) == 1, problems
    where, _, said = problems[0].partition(": ")
    assert re.fullmatch(r".*organization\.yml:\d+:\d+", where), where
    line = int(where.split(":")[-2])
    org = (folder / "organization.yml").read_text(encoding="utf-8").splitlines()
    assert "logo: https://cdn.example/logo.png" in org[line - 1]
    assert "logo 'https://cdn.example/logo.png' is a URL" in said
    assert "img-src 'self' data:" in said and "put the image file beside the data map" in said


def test_public_pages_load_images_only_from_ombud(client: TestClient) -> None:
    policy = client.get("/privacy/request").headers["content-security-policy"]
    img = next(d.strip() for d in policy.split(";") if d.strip().startswith("img-src"))
    assert img == "img-src 'self' data:"
