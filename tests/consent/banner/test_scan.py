"""``ombud cookies scan`` against the test website: the planted undeclared cookie, cookies
set before consent, declared cookies never seen, and the exit code a company's CI reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ombud.cli.main import app
from tests.consent.banner.conftest import BANNER_MAP, Live
from tests.fixtures.browser import CHROMIUM
from tests.fixtures.services import unavailable

runner = CliRunner()


@pytest.fixture(autouse=True)
def _chromium() -> None:
    try:
        import playwright  # noqa: F401
    except ImportError as exc:
        unavailable("the playwright package (pip install -e '.[dev]')", exc)
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium at {CHROMIUM}", FileNotFoundError(CHROMIUM))


def _scan(url: str, datamap: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    args = ["cookies", "scan", url, "--datamap", str(datamap), "--json", "--wait-ms", "300"]
    result = runner.invoke(app, [*args, "--chromium", CHROMIUM])
    return result.exit_code, json.loads(result.stdout)


def test_scan_finds_the_undeclared_cookie(fresh_map: Live) -> None:
    code, report = _scan(fresh_map.site + "/", BANNER_MAP)
    assert code == 1
    assert report["undeclared"] == ["tracker_x"]
    assert report["before_consent"] == ["tracker_x"]
    assert report["after_reject"] == [] and report["never_seen"] == []
    by_name = {f["name"]: f for f in report["found"]}
    assert by_name["_pa_id"]["runs"] == ["accept all"]
    assert by_name["_pa_id"]["set_by"] == fresh_map.site + "/analytics.js"
    assert by_name["_pa_id"]["declared"] == "analytics"
    assert by_name["_pa_id"]["lifetime"] == "1.0 hours"
    assert by_name["tracker_x"]["set_by"] == "response from localhost"
    assert by_name["tracker_x"]["lifetime"] == "1 days"
    assert by_name["site_session"]["runs"] == ["no consent", "accept all", "reject all"]
    assert by_name["ombud_consent"]["declared"] == "strictly_necessary"


def test_clean_site_passes_and_stale_entries_are_listed(fresh_map: Live, tmp_path: Path) -> None:
    doc = yaml.safe_load(BANNER_MAP.read_text(encoding="utf-8"))
    doc["cookie"].append(dict(doc["cookie"][1], name="_old_id"))
    stale = tmp_path / "datamap.yml"
    stale.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, report = _scan(fresh_map.site + "/?clean=1", stale)
    assert (code, report["violations"]) == (0, 0)
    assert report["never_seen"] == ["_old_id"]


def test_analytics_without_consent_is_a_violation(fresh_map: Live, tmp_path: Path) -> None:
    # A site whose analytics runs before any choice: the declared cookie counts as set
    # before consent (the banner's own buttons are clicked as usual).
    doc = yaml.safe_load(BANNER_MAP.read_text(encoding="utf-8"))
    doc["cookie"].append(dict(doc["cookie"][0], name="tracker_x", category="analytics"))
    declared = tmp_path / "datamap.yml"
    declared.write_text(yaml.safe_dump(doc), encoding="utf-8")
    code, report = _scan(fresh_map.site + "/", declared)
    assert code == 1
    assert report["undeclared"] == [] and report["before_consent"] == ["tracker_x"]
    assert report["after_reject"] == ["tracker_x"]


def test_bad_url_is_refused() -> None:
    result = runner.invoke(
        app, ["cookies", "scan", "www.example.com", "--datamap", str(BANNER_MAP)]
    )
    assert result.exit_code == 2 and "must start with http" in result.output
