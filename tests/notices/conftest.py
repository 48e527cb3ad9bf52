"""Fixtures of the statement tests: a rich data map, storing it, and an HTML validator."""

from __future__ import annotations

import re
from pathlib import Path

import html5lib
import pytest
from sqlalchemy.orm import Session

from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import DataMap, Recipient
from ombud.datamap.service import apply_map

DATAMAP_DIR = Path(__file__).parent / "datamap"
DEMO_DIR = Path(__file__).resolve().parents[2] / "src" / "ombud" / "demo" / "datamap"


@pytest.fixture
def datamap() -> DataMap:
    """The test company's data map (an email host with processors in the US)."""
    return load_datamap(DATAMAP_DIR)


def store(session: Session, datamap: DataMap) -> None:
    """Apply ``datamap`` as the data map in force."""
    apply_map(session, datamap=datamap, files={"test.yml": "# test"}, author="test")
    session.commit()


def with_recipient(datamap: DataMap, **fields: str) -> DataMap:
    """A copy of ``datamap`` with one more recipient."""
    recipient = Recipient.model_validate(
        {"role": "processor", "purpose": "Sending text messages", **fields}
    )
    return datamap.model_copy(update={"recipient": [*datamap.recipient, recipient]})


def assert_valid_html(page: str) -> None:
    """Parse strictly with html5lib (raises on any error) and check ids and in-page links."""
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(page)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    for target in re.findall(r'href="#([^"]+)"', page):
        assert target in ids, f"link to #{target} has no target"
    assert "<script" not in page
