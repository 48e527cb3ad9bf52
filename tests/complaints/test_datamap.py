"""The data map's complaint keys: checked like every jurisdiction override, used by the demo."""

from __future__ import annotations

from ombud.datamap.loader import load_datamap
from ombud.demo.setup import DATAMAP_SOURCE as DATAMAP_DIR
from ombud.dsr import jurisdictions
from ombud.dsr.deadlines import Period


def test_demo_names_jams_for_california() -> None:
    rules = jurisdictions.build(load_datamap(DATAMAP_DIR).jurisdiction)
    [jams] = rules["ccpa"].dispute_resolution
    assert jams.name.startswith("JAMS") and jams.url.startswith("https://www.jamsadr.com")
    assert rules["gdpr"].dispute_resolution == []
    assert rules["gdpr"].complaint_deadline == Period(months=1)


def test_bad_complaint_keys_are_named() -> None:
    problems = jurisdictions.override_problems(
        [
            {"key": "ccpa", "dispute_resolution": [{"nmae": "JAMS"}]},
            {"key": "gdpr", "complaint_deadline": {"weeks": 2}},
            {"key": "uk_gdpr", "dispute_resolution": [{"name": "X", "url": "not a url"}]},
        ]
    )
    messages = [m for _, _, m in problems]
    assert any("unknown key 'nmae'" in m and "'ccpa'" in m for m in messages), messages
    assert any("'gdpr'" in m and "weeks" in m for m in messages), messages
    assert any("'uk_gdpr'" in m for m in messages), messages
