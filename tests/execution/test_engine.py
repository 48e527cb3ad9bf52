"""The engine on all three databases: access, erasure, holds, rectification, preview."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from ombud.datamap.schemas import DataMap
from ombud.execution import package
from ombud.execution.planner import Plan, build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from ombud.execution.service import result_of
from tests.execution import shop
from tests.execution.conftest import Target

KEY = b"test-masking-key"


def _run(datamap: DataMap, specs: list[RequestSpec], **kw: Any) -> tuple[Plan, dict[str, Any]]:
    plan = build_plan(datamap)
    with ConnectorPool(datamap) as pool:
        out = execute_batch(plan, specs, pool=pool, journal=MemoryJournal(), key=KEY, **kw)
    return plan, out


def _erase(n: int) -> RequestSpec:
    return RequestSpec(f"req-{n}", "erasure", {"email": shop.email(n)})


def _norm(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        ({k: (None if v is None else str(v)) for k, v in r.items()} for r in rows),
        key=lambda r: json.dumps(r, sort_keys=True),
    )


def test_access_package_holds_exactly_the_persons_rows(target: Target, shop_map: DataMap) -> None:
    before = shop.snapshot(target.engine)
    specs = [RequestSpec(f"a{n}", "access", {"email": shop.email(n)}) for n in (2, 5)]
    plan, out = _run(shop_map, specs)
    for n, spec in zip((2, 5), specs, strict=True):
        data = package.build_zip(shop_map, plan, request_id=spec.id, rows=out[spec.id].rows)
        expected = shop.rows_of(before, n)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            assert {c["name"] for c in manifest["collections"]} == set(expected)
            for name, rows in expected.items():
                fields = [f.name for f in plan.step(name).export_fields]
                want = [{f: r[f] for f in fields} for r in rows]
                got = json.loads(zf.read(f"data/{name}.json"))
                assert _norm(got) == _norm(want), name
                got_csv = list(csv.DictReader(io.StringIO(zf.read(f"data/{name}.csv").decode())))
                assert len(got_csv) == len(want)
                assert {r[fields[0]] for r in got_csv} == {str(r[fields[0]]) for r in want}
            summary = zf.read("summary.html").decode()
        assert "Selling and delivering orders" in summary  # purpose
        assert "ParcelCo Inc." in summary and "standard contractual clauses" in summary
        assert "Berliner Beauftragte" in summary  # right to complain
        assert "Invoices" in summary  # retention
        assert manifest["unreachable"][0]["collection"] == "shop.legacy_log"
    assert shop.snapshot(target.engine) == before


def test_erasure_masks_deletes_and_keeps_held_data(target: Target, shop_map: DataMap) -> None:
    before = shop.snapshot(target.engine)
    plan, out = _run(shop_map, [_erase(3)])
    after = shop.snapshot(target.engine)
    # Everyone else is untouched.
    for n in range(1, shop.PEOPLE + 1):
        if n != 3:
            assert shop.rows_of(after, n) == shop.rows_of(before, n)
    mine = shop.rows_of(after, 3)
    (customer,) = mine["shop.customers"]
    assert customer["name"] is None and customer["phone"] is None
    assert len(customer["email"]) == 64 and customer["email"] != shop.email(3)  # HMAC
    assert customer["segment"] == "retail"  # system data is not personal
    assert all(
        o["shipping_address"] is None and o["total_cents"] is None for o in mine["shop.orders"]
    )
    assert all(o["customer_id"] == 3 for o in mine["shop.orders"])  # links stay
    assert [t["body"] for t in mine["shop.tickets"]] == ["REDACTED"]
    assert mine["shop.carts"] == [] and mine["shop.cart_items"] == []
    assert not [r for r in after["newsletter"] if r["id"] == 3]
    # Legal hold: invoices kept as they were, and the result says why.
    assert mine["shop.invoices"] == shop.rows_of(before, 3)["shop.invoices"]
    result = result_of(plan, out["req-3"])
    kept = {(k["collection"], k["field"]): k["reason"] for k in result["kept"]}
    assert set(kept) == {("shop.invoices", "billing_name"), ("shop.invoices", "amount_cents")}
    assert "§ 147 AO" in kept[("shop.invoices", "billing_name")]
    assert result["collections"]["shop.invoices"]["action"] == "keep"
    assert result["collections"]["shop.carts"] == {"rows": 1, "action": "delete", "fields": ["*"]}
    assert result["unreachable"][0]["collection"] == "shop.legacy_log"


def test_erasure_of_a_batch_and_rerun_changes_nothing_more(
    target: Target, shop_map: DataMap
) -> None:
    before = shop.snapshot(target.engine)
    _run(shop_map, [_erase(1), _erase(4)])
    once = shop.snapshot(target.engine)
    assert shop.rows_of(once, 1)["shop.carts"] == [] and shop.rows_of(once, 4)["shop.carts"] == []
    assert shop.rows_of(once, 2) == shop.rows_of(before, 2)
    _run(shop_map, [_erase(1), _erase(4)])
    assert shop.snapshot(target.engine) == once


def test_preview_changes_nothing(target: Target, shop_map: DataMap) -> None:
    before = shop.snapshot(target.engine)
    _plan, out = _run(shop_map, [_erase(2)], dry_run=True)
    changes = {c.collection: c for c in out["req-2"].changes}
    assert changes["shop.carts"].deletes == [2]
    assert changes["shop.customers"].fields == ["email", "name", "phone"]
    assert shop.snapshot(target.engine) == before


def test_rectification_updates_only_the_fields_asked_for(target: Target, shop_map: DataMap) -> None:
    before = shop.snapshot(target.engine)
    spec = RequestSpec(
        "r6", "rectification", {"email": shop.email(6)}, {"customers.name": "Pat Six"}
    )
    _plan, out = _run(shop_map, [spec])
    after = shop.snapshot(target.engine)
    (customer,) = shop.rows_of(after, 6)["shop.customers"]
    assert customer == {**shop.rows_of(before, 6)["shop.customers"][0], "name": "Pat Six"}
    changed = [c for c in out["r6"].changes if c.updates]
    assert len(changed) == 1 and "Person 6" not in json.dumps(changed[0].old_hashes)
    assert list(changed[0].old_hashes) == ["6:name"]
    for n in range(1, 6):
        assert shop.rows_of(after, n) == shop.rows_of(before, n)
