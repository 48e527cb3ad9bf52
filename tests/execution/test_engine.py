"""The engine on all three databases: access, erasure, holds, rectification, preview."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from typing import Any

from sqlalchemy import update

from ombud.datamap.schemas import DataMap
from ombud.execution import package
from ombud.execution.planner import Plan, build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from ombud.execution.service import result_of
from ombud.execution.summary import humanize, shown_fields
from tests.execution import shop
from tests.execution.conftest import Target
from tests.fixtures.api import Clock

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
                fields = [f.name for f in shown_fields(plan.step(name))]
                want = [{f: r[f] for f in fields} for r in rows]
                got = json.loads(zf.read(f"data/{name}.json"))
                assert _norm(got) == _norm(want), name
                got_csv = list(csv.DictReader(io.StringIO(zf.read(f"data/{name}.csv").decode())))
                assert len(got_csv) == len(want)
                header = humanize(fields[0])  # readable headers: "ID", "Email", ...
                assert {r[header] for r in got_csv} == {str(r[fields[0]]) for r in want}
            summary = zf.read("index.html").decode()
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
    _plan, out = _run(shop_map, [_erase(1), _erase(4)])
    once = shop.snapshot(target.engine)
    # Collections that lead nowhere and need no per-row value are changed through the field
    # that reached them, their rows counted, not read.
    changes = {c.collection: c for c in out["req-4"].changes}
    assert (changes["shop.newsletter"].key, changes["shop.newsletter"].rows) == ("email", 1)
    assert (changes["shop.cart_items"].key, changes["shop.cart_items"].rows) == ("cart_id", 2)
    assert changes["shop.customers"].key == "id"
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


def test_legal_hold_ends_per_row_when_its_period_is_over(
    target: Target, shop_map: DataMap, frozen_clock: Clock
) -> None:
    # Now is 2026-03-02 09:00. Person 3: invoice 30 is eleven years old, 31 recent. Person 5:
    # invoice 50 has no date (held), 51 is one day short of ten years (held).
    dates = {30: date(2015, 3, 1), 31: date(2026, 2, 1), 50: None, 51: date(2016, 3, 3)}
    with target.engine.begin() as conn:
        for oid, issued in dates.items():
            conn.execute(
                update(shop.invoices).where(shop.invoices.c.id == oid).values(issued_on=issued)
            )
    before = shop.snapshot(target.engine)
    plan, out = _run(shop_map, [_erase(3), _erase(5)])
    after = shop.snapshot(target.engine)
    invoices = {r["id"]: r for r in after["invoices"]}
    was = {r["id"]: r for r in before["invoices"]}
    assert invoices[30] == {**was[30], "billing_name": None, "amount_cents": None}
    assert [invoices[i] for i in (31, 50, 51)] == [was[i] for i in (31, 50, 51)]
    for n in (1, 2, 4, 6):
        assert shop.rows_of(after, n) == shop.rows_of(before, n)
    # The result names the rows kept and the rows erased because their period had ended.
    three = result_of(plan, out["req-3"])
    invoices_3 = three["collections"]["shop.invoices"]
    assert invoices_3["action"] == "mask"
    assert invoices_3["held"] == {"rows": 1, "keys": [31]}
    assert invoices_3["retention_ended"] == {"rows": 1, "keys": [30]}
    kept = {k["field"]: k for k in three["kept"]}
    assert set(kept) == {"billing_name", "amount_cents"} and kept["billing_name"]["rows"] == 1
    reason = kept["billing_name"]["reason"]
    assert "kept for 10 years from issued on" in reason
    assert "1 older row past this period erased" in reason
    five = result_of(plan, out["req-5"])["collections"]["shop.invoices"]
    assert five["action"] == "keep" and five["held"] == {"rows": 2, "keys": [50, 51]}
    assert "retention_ended" not in five


def test_every_row_past_its_hold_is_erased_and_a_rerun_changes_nothing(
    target: Target, shop_map: DataMap, frozen_clock: Clock
) -> None:
    with target.engine.begin() as conn:
        conn.execute(
            update(shop.invoices)
            .where(shop.invoices.c.order_id.in_([20, 21]))
            .values(issued_on=date(2014, 1, 1))
        )
    before = shop.snapshot(target.engine)
    plan, out = _run(shop_map, [_erase(2)])
    once = shop.snapshot(target.engine)
    mine = shop.rows_of(once, 2)["shop.invoices"]
    assert [(r["billing_name"], r["amount_cents"]) for r in mine] == [(None, None)] * 2
    result = result_of(plan, out["req-2"])
    assert result["kept"] == []
    assert result["collections"]["shop.invoices"]["retention_ended"]["keys"] == [20, 21]
    for n in (1, 3, 4, 5, 6):
        assert shop.rows_of(once, n) == shop.rows_of(before, n)
    _run(shop_map, [_erase(2)])
    assert shop.snapshot(target.engine) == once


def test_a_batch_mixing_access_and_erasure_reads_every_row(
    target: Target, shop_map: DataMap
) -> None:
    before = shop.snapshot(target.engine)
    plan, out = _run(shop_map, [RequestSpec("a2", "access", {"email": shop.email(2)}), _erase(3)])
    assert {name: _norm(rows) for name, rows in out["a2"].rows.items()} == {
        name: _norm([{c: r[c] for c in plan.step(name).columns} for r in rows])
        for name, rows in shop.rows_of(before, 2).items()
    }
    after = shop.snapshot(target.engine)
    mine = shop.rows_of(after, 3)
    assert mine["shop.carts"] == [] and [t["body"] for t in mine["shop.tickets"]] == ["REDACTED"]
    assert mine["shop.invoices"] == shop.rows_of(before, 3)["shop.invoices"]
    for n in (1, 2, 4, 5, 6):
        assert shop.rows_of(after, n) == shop.rows_of(before, n)
    changes = {c.collection: c for c in out["req-3"].changes}
    assert changes["shop.newsletter"].deletes == [3] and changes["shop.newsletter"].key == "id"
