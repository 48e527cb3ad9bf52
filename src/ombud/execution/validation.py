"""``ombud datamap validate --connections``: the data map against the databases it describes.

Each erasure strategy is checked against the column it would be written to (``constraints``),
and each problem is placed at the field (or its override) in the data map's files."""

from __future__ import annotations

from ombud.datamap.positions import Loc, Problem, SourceIndex
from ombud.datamap.schemas import DataMap
from ombud.errors import OmbudError
from ombud.execution.constraints import check_step, table_columns, to_check
from ombud.execution.planner import build_plan
from ombud.execution.reading import ConnectorPool


def _field_locations(datamap: DataMap) -> dict[tuple[str, str, str], Loc]:
    """(dataset, collection, field) -> where the field is declared in the merged map."""
    out: dict[tuple[str, str, str], Loc] = {}
    for i, ds in enumerate(datamap.dataset):
        for j, coll in enumerate(ds.collections):
            for k, f in enumerate(coll.fields):
                out[(ds.fides_key, coll.name, f.name)] = (
                    "dataset",
                    i,
                    "collections",
                    j,
                    "fields",
                    k,
                )
    return out


def _override(datamap: DataMap, loc: Loc) -> Loc:
    """The field's ``masking_strategy_override`` when it has one (that is what to change)."""
    _, i, _, j, _, k = loc
    assert isinstance(i, int) and isinstance(j, int) and isinstance(k, int)
    f = datamap.dataset[i].collections[j].fields[k]
    if f.masking_strategy_override is not None:
        return (*loc, "masking_strategy_override")
    if f.fides_meta is not None and f.fides_meta.masking_strategy_override is not None:
        return (*loc, "fides_meta", "masking_strategy_override")
    return (*loc, "name")


def _connection_loc(datamap: DataMap, name: str) -> Loc:
    for i, conn in enumerate(datamap.connection):
        if conn.name == name:
            return ("connection", i, "url")
    return ("connection",)


def connection_problems(
    datamap: DataMap, index: SourceIndex, connections: dict[str, str] | None = None
) -> list[Problem]:
    """Every erasure strategy its column cannot take, and every connection that cannot be read,
    located in the data map's files."""
    try:
        plan = build_plan(datamap, connections=connections)
    except OmbudError as exc:
        return [index.at(("dataset",), exc.message, at_key=True)]
    fields = _field_locations(datamap)
    problems: list[Problem] = []
    broken: set[str] = set()
    with ConnectorPool(datamap, connections) as pool:
        for step in to_check(plan):
            if step.connection in broken:
                continue
            try:
                columns = table_columns(pool.get(step.connection), step.table)
            except OmbudError as exc:
                broken.add(step.connection)
                problems.append(index.at(_connection_loc(datamap, step.connection), exc.message))
                continue
            for item in check_step(step, columns):
                loc = fields.get((step.dataset, step.collection, item.field))
                where = _override(datamap, loc) if loc else ("dataset",)
                problems.append(index.at(where, str(item)))
    unique = dict.fromkeys(problems)
    return sorted(unique, key=lambda p: (p.file, p.line, p.column, p.message))
