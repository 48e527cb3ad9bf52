"""The shop's data map with changes: a policy swapped, an override added, as new documents."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from ombud.datamap.loader import parse_files
from ombud.datamap.schemas import DataMap
from tests.execution import shop

Document = dict[str, Any]


def shop_document() -> Document:
    """The shop's data map file as plain data."""
    data: Document = yaml.safe_load((shop.DATAMAP / "shop.yml").read_text(encoding="utf-8"))
    return data


def field_of(doc: Document, collection: str, name: str) -> Document:
    """A field of the shop dataset in ``doc`` (changed in place by callers)."""
    (dataset,) = doc["dataset"]
    coll = next(c for c in dataset["collections"] if c["name"] == collection)
    found: Document = next(f for f in coll["fields"] if f["name"] == name)
    return found


def variant(change: Callable[[Document], None]) -> tuple[DataMap, dict[str, str]]:
    """The shop map after ``change``: the parsed map and its files (to apply as a version)."""
    doc = shop_document()
    change(doc)
    files = {"shop.yml": yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)}
    return parse_files(files), files
