"""What an access package says: credentials left out (and said so), context fields shown,
the data map's names and descriptions, retention in words, the consent history, its name,
and "we hold no personal data about you" when nothing was found."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date
from typing import Any

import pytest

from ombud.datamap.schemas import Authority, DataMap, RetentionRule
from ombud.datamap.schemas_fides import FieldMeta
from ombud.dsr.wording import counted_from, retention_words
from ombud.execution import package
from ombud.execution.planner import build_plan
from ombud.execution.runner import ConnectorPool, MemoryJournal, RequestSpec, execute_batch
from tests.execution import shop
from tests.execution.conftest import Target


def _marked(shop_map: DataMap) -> DataMap:
    """The shop map with a credential, a context field and descriptions."""
    dm = shop_map.model_copy(deep=True)
    (dataset,) = dm.dataset
    by_name = {c.name: c for c in dataset.collections}
    customers = by_name["customers"]
    customers.description = "One row per customer of the web shop."
    for f in customers.fields:
        if f.name == "segment":  # stands in for a column of API tokens
            f.fides_meta = FieldMeta(credential=True)
        if f.name == "email":
            f.description = "Where we send order confirmations."
        if f.name == "phone":
            f.data_categories = ["user.authorization.credentials"]
    for f in by_name["invoices"].fields:
        if f.name == "issued_on":
            assert f.fides_meta is not None
            f.fides_meta.context = True
    return dm


def _zip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n).decode() for n in zf.namelist()}


def _build(
    dm: DataMap,
    n: int,
    *,
    consents: list[dict[str, Any]] | None = None,
    authority: Authority | None = None,
) -> dict[str, str]:
    plan = build_plan(dm)
    spec = RequestSpec(f"a{n}", "access", {"email": shop.email(n)})
    with ConnectorPool(dm) as pool:
        out = execute_batch(plan, [spec], pool=pool, journal=MemoryJournal(), key=b"k")
    rows = out[spec.id].rows
    data = package.build_zip(
        dm, plan, request_id=spec.id, rows=rows, consents=consents, authority=authority
    )
    return _zip(data)


def test_credentials_are_left_out_and_context_fields_shown(
    target: Target, shop_map: DataMap
) -> None:
    files = _build(_marked(shop_map), 4)
    (customer,) = json.loads(files["data/shop.customers.json"])
    assert "segment" not in customer and "phone" not in customer
    assert customer["email"] == shop.email(4)
    invoices = json.loads(files["data/shop.invoices.json"])
    assert invoices and all(i["issued_on"] for i in invoices)  # operational, marked context
    manifest = json.loads(files["manifest.json"])
    assert {(w["collection"], w["field"]) for w in manifest["withheld"]} == {
        ("shop.customers", "segment"),
        ("shop.customers", "phone"),
    }
    readme = files["README.txt"]
    assert "What we left out" in readme and "Segment (shop.customers.segment)" in readme
    assert "passwords, password hashes, tokens and other secrets" in readme
    assert "What we left out" in files["index.html"]
    assert shop.email(4) in files["index.html"]


def test_names_descriptions_and_readable_headers(target: Target, shop_map: DataMap) -> None:
    files = _build(_marked(shop_map), 4)
    readme = files["README.txt"]
    assert "Customers: 1 record. One row per customer of the web shop." in readme
    assert "Email (email): Where we send order confirmations." in readme
    assert "Issued on (issued_on)" in readme
    header = next(csv.reader(io.StringIO(files["data/shop.invoices.csv"])))
    # amount_cents is user.financial: Fides' default access policy leaves it out.
    assert header == ["Billing name", "Issued on"]
    manifest = json.loads(files["manifest.json"])
    customers = next(c for c in manifest["collections"] if c["name"] == "shop.customers")
    assert customers["title"] == "Customers"
    assert customers["description"] == "One row per customer of the web shop."
    index = files["index.html"]
    assert '<h3 id="shop.customers">Customers (1 record)</h3>' in index
    assert "One row per customer of the web shop." in index


def test_retention_in_words_consents_and_authority(target: Target, shop_map: DataMap) -> None:
    consents = [
        {
            "purpose": "newsletter",
            "title": "Our monthly newsletter",
            "decision": "granted",
            "method": "web_form",
            "notice_version": 2,
            "recorded_at": "2026-03-02T09:00:00+00:00",
        }
    ]
    ico = Authority(name="Information Commissioner's Office (ICO)", url="https://ico.org.uk")
    files = _build(_marked(shop_map), 4, consents=consents, authority=ico)
    readme, index = files["README.txt"], files["index.html"]
    assert "Invoices: Deleted 10 years after the invoice is issued." in readme
    assert "Deleted 10 years after the invoice is issued." in index
    assert "2 March 2026, 09:00 UTC: granted for Our monthly newsletter (web form)" in readme
    assert "Our monthly newsletter" in index
    assert json.loads(files["consent/history.json"]) == consents
    assert "Information Commissioner&#39;s Office (ICO)" in index
    assert "Berliner Beauftragte" not in index  # the jurisdiction's authority, not the default
    assert "Information Commissioner's Office (ICO), https://ico.org.uk" in readme


def test_an_empty_package_says_we_hold_no_personal_data(target: Target, shop_map: DataMap) -> None:
    plan = build_plan(shop_map)
    spec = RequestSpec("nobody", "access", {"email": "nobody@example.org"})
    with ConnectorPool(shop_map) as pool:
        out = execute_batch(plan, [spec], pool=pool, journal=MemoryJournal(), key=b"k")
    assert not package.holds_data(plan, out["nobody"].rows, [])
    assert package.holds_data(plan, out["nobody"].rows, [{"purpose": "newsletter"}])
    files = _zip(package.build_zip(shop_map, plan, request_id="nobody", rows=out["nobody"].rows))
    assert "We hold no personal data about you." in files["README.txt"]
    assert "We hold no personal data about you." in files["index.html"]
    assert not [n for n in files if n.startswith("data/")]


@pytest.mark.parametrize(
    ("organization", "kind", "expected"),
    [
        ("Postlicht Mail GmbH", "access", "postlicht-mail-gmbh-access-2026-12-07"),
        (
            "Müller & Söhne Straße AG",
            "portability",
            "muller-sohne-strasse-ag-portability-2026-12-07",
        ),
        ("", "access", "package-access-2026-12-07"),
    ],
)
def test_package_names(organization: str, kind: str, expected: str) -> None:
    assert package.package_name(organization, kind, date(2026, 12, 7)) == expected


def test_retention_words_without_a_phrase_are_derived() -> None:
    rule = RetentionRule(
        fides_key="acc", collections=["app.accounts"], period="P30D", timestamp_field="closed_at"
    )
    assert counted_from(rule) == "the account is closed"
    assert retention_words(rule) == "Deleted 30 days after the account is closed."
    events = RetentionRule(
        fides_key="ev", collections=["app.login_events"], period="P1Y6M", timestamp_field="at"
    )
    assert (
        retention_words(events) == "Deleted 1 year and 6 months after the time of the login event."
    )
    tickets = RetentionRule(
        fides_key="tk",
        collections=["app.ticket_messages"],
        period="P2Y",
        timestamp_field="support_tickets.closed_at",
        action="report",
    )
    assert (
        retention_words(tickets) == "Kept for at least 2 years after the ticket message is closed."
    )
    plain = RetentionRule(fides_key="p", period="P90D", action="anonymise")
    assert retention_words(plain) == "Anonymised after 90 days."
    assert retention_words(RetentionRule(fides_key="t", period="as long as the contract runs")) == (
        "as long as the contract runs"
    )


def test_only_large_files_are_deflated(target: Target, shop_map: DataMap) -> None:
    plan = build_plan(shop_map)
    spec = RequestSpec("a1", "access", {"email": shop.email(1)})
    with ConnectorPool(shop_map) as pool:
        out = execute_batch(plan, [spec], pool=pool, journal=MemoryJournal(), key=b"k")
    rows = dict(out[spec.id].rows)
    name, found = next((k, v) for k, v in rows.items() if v)
    rows[name] = [dict(found[0]) for _ in range(2000)]  # a person with much data
    data = package.build_zip(shop_map, plan, request_id=spec.id, rows=rows)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        kinds = {i.filename: (i.compress_type, i.file_size) for i in zf.infolist()}
        assert zf.testzip() is None
        assert len(json.loads(zf.read(f"data/{name}.json"))) == 2000
    big = {f for f, (_, size) in kinds.items() if size >= package.DEFLATE_FROM}
    assert f"data/{name}.json" in big and f"data/{name}.csv" in big
    for f, (kind, _) in kinds.items():
        assert kind == (zipfile.ZIP_DEFLATED if f in big else zipfile.ZIP_STORED), f
    assert len(data) < sum(size for _, size in kinds.values()) / 2
