"""Property: on random small schemas and rows, the engine finds exactly the rows a brute-force
breadth-first search over the rows finds, for each request of a batch, on all three engines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from tests.execution.graphs import KEY, Ref, Schema, create, empty_db, reachable

__all__ = ["empty_db"]  # the fixture, used by name

TABLES = ("t0", "t1", "t2", "t3")
COLUMNS = {"id": "int", "a": "int", "b": "int", "e": "str"}
INTS = ("id", "a", "b")
# Blank texts are in the data on purpose: they must never link two rows.
TEXTS = (None, "", " ", "p0@x.test", "p1@x.test", "p2@x.test")
PEOPLE = ("p0@x.test", "p1@x.test", "p2@x.test", " ")


@dataclass
class Case:
    """A schema, its rows, and the requests of one batch."""

    schema: Schema
    rows: dict[str, list[dict[str, Any]]]


@st.composite
def refs(draw: st.DrawFn, names: tuple[str, ...]) -> Ref:
    """A reference between two columns of the same kind (integers, or the text column)."""
    table, to_table = draw(st.sampled_from(names)), draw(st.sampled_from(names))
    if draw(st.booleans()):
        column, to_column = draw(st.sampled_from(INTS)), draw(st.sampled_from(INTS))
    else:
        column = to_column = "e"
    if (table, column) == (to_table, to_column):
        to_table = names[(names.index(table) + 1) % len(names)]
    direction = draw(st.sampled_from([None, "from", "to"]))
    return Ref(table, column, to_table, to_column, direction)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Two to four tables, one to six references, one to five rows per table."""
    names = TABLES[: draw(st.integers(2, len(TABLES)))]
    identities = {("t0", "e"): "email"}
    for extra in draw(st.sets(st.sampled_from(names[1:]), max_size=2)):
        identities[(extra, "e")] = "email"
    schema = Schema(
        tables={t: dict(COLUMNS) for t in names},
        identities=identities,
        refs=draw(st.lists(refs(names), min_size=1, max_size=6)),
    )
    small = st.sampled_from((None, 1, 2, 3, 4))
    rows = {
        t: [
            {"id": i, "a": draw(small), "b": draw(small), "e": draw(st.sampled_from(TEXTS))}
            for i in draw(st.lists(st.integers(1, 5), unique=True, min_size=1, max_size=5))
        ]
        for t in names
    }
    return Case(schema, rows)


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_engine_finds_what_a_search_over_the_rows_finds(
    empty_db: tuple[str, Engine], case: Case
) -> None:
    url, engine = empty_db
    create(engine, case.schema, case.rows)
    dm = case.schema.datamap(url)
    specs = [RequestSpec(f"r{i}", "access", {"email": p}) for i, p in enumerate(PEOPLE)]
    with ConnectorPool(dm) as pool:
        out = execute_batch(build_plan(dm), specs, pool=pool, journal=MemoryJournal(), key=KEY)
    for spec in specs:
        got = {
            name.removeprefix("app."): sorted(r["id"] for r in rows)
            for name, rows in out[spec.id].rows.items()
            if rows
        }
        want = reachable(case.schema, case.rows, spec.identities)
        assert got == {t: sorted(ids) for t, ids in want.items()}, spec.identities
