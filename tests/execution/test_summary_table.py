"""The data tables of a package's index.html, built in Python, are what the template's cell
by cell loop wrote: every value escaped, missing and null cells empty; each collection's part,
rendered once per map version around its count and table, is what the page's loop wrote; the
page is written one collection's table at a time."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ombud.datamap.loader import parse_files, read_files
from ombud.execution.planner import build_plan
from ombud.execution.summary import data_rows, describe, shown_fields, summary_parts
from ombud.web.render import environment
from tests.execution import shop

# The loop the template used before the rows were built in Python.
CELL_BY_CELL = (
    "{% for row in c.rows %}<tr>{% for f in c.fields %}"
    "<td>{{ row[f.name] if row[f.name] is not none }}</td>{% endfor %}</tr>\n{% endfor %}"
)
# The page's loop before each collection's part was rendered once per map version.
PAGE_LOOP = (
    "{% for c in collections %}\n"
    '<h3 id="{{ c.name }}">{{ c.title }} '
    '({{ c.rows | length }} record{{ "s" if c.rows | length != 1 }})</h3>\n'
    "{% if c.description %}<p>{{ c.description }}</p>{% endif %}\n"
    "<p>Files: <code>data/{{ c.name }}.json</code>, <code>data/{{ c.name }}.csv</code></p>\n"
    "<table><tr>{{ c.head_html }}</tr>\n"
    "{{ c.table }}</table>\n"
    "<dl>{{ c.fields_html }}</dl>\n"
    "{% endfor %}\n"
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


@settings(max_examples=50, deadline=None)
@given(counts=st.lists(st.integers(min_value=1, max_value=3), min_size=1, max_size=4))
def test_each_collections_part_is_what_the_page_loop_wrote(counts: list[int]) -> None:
    dm = parse_files(read_files(shop.DATAMAP))
    plan = build_plan(dm)
    steps = [step for step in plan.steps if shown_fields(step)]
    # One collection with a description (to be escaped), the others without one.
    dm.dataset[0].collections[0].description = "What we keep <and> why & how"
    data = {
        step.name: [
            {f.name: f"<{step.name}> & '{i}'" for f in shown_fields(step)} for i in range(n)
        ]
        for step, n in zip(steps, counts * len(steps), strict=False)
    }
    contents = describe(dm, plan, data)
    written = "".join(f"{c['top']}{c['table'].__html__()}{c['bottom']}" for c in contents)
    expected = environment().overlay(autoescape=True).from_string(PAGE_LOOP)
    assert written == expected.render(collections=contents)


class _Read(dict[str, Any]):
    """A row that notes its collection in ``log`` when a table cell reads it."""

    log: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.log.append(str(super().get("of")))
        return super().get(key, default)


def test_the_page_is_written_one_collections_table_at_a_time() -> None:
    dm = parse_files(read_files(shop.DATAMAP))
    plan = build_plan(dm)
    data = {
        step.name: [
            _Read({f.name: f"{step.name}-{i}" for f in shown_fields(step)}, of=step.name)
            for i in range(300)
        ]
        for step in plan.steps
        if shown_fields(step)
    }
    assert len(data) >= 2
    parts: list[str] = []
    for part in summary_parts(dm, plan, describe(dm, plan, data), [], []):
        tables = [name for name in data if f"<td>{name}-" in part]
        if tables:
            # One part holds a collection's rows, made only now: no later table is made yet.
            assert set(_Read.log) == set(tables) and len(tables) == 1
            _Read.log.clear()
        parts.append(part)
    for name, found in data.items():
        (table,) = [p for p in parts if f"<td>{name}-" in p]
        cells = [c for c in table.split("<td>")[1:] if not c.startswith("</td>")]
        assert all(cell.startswith(f"{name}-") for cell in cells)
        assert table.count("<tr>") == len(found)
    assert max(map(len, parts)) < len("".join(parts)) / 2
