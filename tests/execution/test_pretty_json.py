"""The package's JSON files: orjson writes what ``json.dumps(indent=2, ensure_ascii=False)``
wrote, byte for byte, for every kind of value a row holds (floats: the same numbers)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ombud.execution.package import _json_default, pretty_json

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text()
    | st.dates()
    | st.datetimes(timezones=st.just(UTC))
    | st.datetimes()
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.binary(max_size=8)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _stdlib(value: Any) -> str:
    return json.dumps(value, indent=2, default=_json_default, ensure_ascii=False)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.text(), VALUES, max_size=6), max_size=4))
def test_rows_are_written_as_the_standard_library_wrote_them(rows: list[dict[str, Any]]) -> None:
    assert pretty_json(rows).decode() == _stdlib(rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), max_size=6))
def test_floats_are_the_same_numbers(values: list[float]) -> None:
    assert json.loads(pretty_json(values)) == values


def test_what_orjson_cannot_write_falls_back_to_the_standard_library() -> None:
    rows = [{"big": 2**70, "at": datetime(2026, 3, 2, 9, tzinfo=UTC), "d": date(2026, 3, 2)}]
    assert pretty_json(rows).decode() == _stdlib(rows)
    assert '"big": 1180591620717411303424' in pretty_json(rows).decode()
    amounts = [{"amount": Decimal("12.50")}]
    assert pretty_json(amounts).decode() == _stdlib(amounts)
