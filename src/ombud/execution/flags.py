"""What rights requests read and write in the company's databases besides execution: the
restriction flag of the person's rows (GDPR Art. 18) and the device ids seen with them (so an
opt-out reaches the browsers the person used)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ombud.connectors.base import Rewrite
from ombud.datamap.rights import restriction_flags
from ombud.datamap.schemas import DataMap
from ombud.execution.planner import build_plan, identity_values
from ombud.execution.reading import ConnectorPool, RequestSpec, collect

DEVICE_CATEGORIES = ("user.device.device_id", "user.device.cookie_id")


def _rows(
    datamap: DataMap, connections: Mapping[str, str], identities: dict[str, str]
) -> tuple[Any, dict[str, list[dict[str, Any]]], ConnectorPool]:
    plan = build_plan(datamap, connections=dict(connections))
    spec = RequestSpec("rights", "access", identity_values(identities))
    pool = ConnectorPool(datamap, dict(connections))
    try:
        found = collect(plan, [spec], pool)
    except BaseException:
        pool.close()
        raise
    return plan, found.dicts(spec.id), pool


def set_restriction(
    datamap: DataMap, connections: Mapping[str, str], identities: dict[str, str], *, on: bool
) -> dict[str, int]:
    """Set (or clear) the restriction flag on every row of the person that has one; rows
    changed per collection. Each database commits on its own, after all were written."""
    flags = {f"{d}.{c}": f for d, c, f in restriction_flags(datamap)}
    if not flags or not identity_values(identities):
        return {}
    types = _flag_types(datamap)
    plan, rows, pool = _rows(datamap, connections, identities)
    changed: dict[str, int] = {}
    with pool:
        for step in plan.steps:
            field = flags.get(step.name)
            found = rows.get(step.name) or []
            if field is None or step.primary_key is None or not found:
                continue
            keys = sorted({r[step.primary_key] for r in found}, key=repr)
            value: Any = (1 if on else 0) if types.get(step.name) == "integer" else on
            conn = pool.get(step.connection)
            changed[step.name] = conn.update(
                step.table, step.primary_key, Rewrite(keys=keys, assign={field: value})
            )
        for conn in pool.open.values():
            conn.commit()
    return changed


def _flag_types(datamap: DataMap) -> dict[str, str]:
    out: dict[str, str] = {}
    for ds in datamap.dataset:
        for coll in ds.collections:
            for f in coll.fields:
                if f.restriction_flag and f.fides_meta is not None and f.fides_meta.data_type:
                    out[f"{ds.fides_key}.{coll.name}"] = f.fides_meta.data_type
    return out


def device_ids(
    datamap: DataMap, connections: Mapping[str, str], identities: dict[str, str]
) -> list[str]:
    """Device and cookie ids stored in the person's rows (distinct, sorted)."""
    if not identity_values(identities):
        return []
    plan, rows, pool = _rows(datamap, connections, identities)
    pool.close()
    found: set[str] = set()
    for step in plan.steps:
        names = [f.name for f in step.fields if set(f.categories) & set(DEVICE_CATEGORIES)]
        for row in rows.get(step.name) or []:
            for name in names:
                value = row.get(name)
                if value is not None and str(value).strip():
                    found.add(str(value).strip())
    return sorted(found)
