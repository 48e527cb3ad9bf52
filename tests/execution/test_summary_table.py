"""The data tables of a package's index.html, built in Python, are what the template's cell
by cell loop wrote: every value escaped, missing and null cells empty."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ombud.execution.summary import data_rows
from ombud.web.render import environment

# The loop the template used before the rows were built in Python.
CELL_BY_CELL = (
    "{% for row in c.rows %}<tr>{% for f in c.fields %}"
    "<td>{{ row[f.name] if row[f.name] is not none }}</td>{% endfor %}</tr>\n{% endfor %}"
)
NAMES = ["id", "email", "note", "total", "created"]
scalar = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.datetimes()
)
value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3), max_leaves=5)
rows = st.lists(st.dictionaries(st.sampled_from(NAMES), value, max_size=5), max_size=6)


@settings(max_examples=200, deadline=None)
@given(rows=rows)
def test_rows_match_the_cell_by_cell_template(rows: list[dict[str, Any]]) -> None:
    template = environment().overlay(autoescape=True).from_string(CELL_BY_CELL)
    fields = [{"name": n} for n in NAMES]
    expected = template.render(c={"rows": rows, "fields": fields})
    assert str(data_rows(rows, NAMES)) == expected


def test_markup_in_a_value_is_escaped() -> None:
    html = str(data_rows([{"id": "<script>alert(1)</script>"}], ["id"]))
    assert html == "<tr><td>&lt;script&gt;alert(1)&lt;/script&gt;</td></tr>\n"
