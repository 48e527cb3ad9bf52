"""Fides policies: access rules decide what is exported; erasure rules and overrides how fields
are masked, in the documented order (field override > policy rule > Ombud default)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from sqlalchemy import Engine

from ombud.config import Settings
from ombud.execution import package
from ombud.execution.planner import build_plan
from ombud.execution.policy import Targets, rule_targets
from ombud.execution.tasks import run_requests
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request, status_of
from tests.execution.variants import Document, field_of, variant

ACCESS_USER_BUT_FINANCIAL = {
    "fides_key": "default_access_policy",
    "rules": [
        {
            "fides_key": "everything_but_money",
            "action_type": "access",
            "targets": [{"data_category": "user", "exclude": ["user.financial"]}],
        }
    ],
}


def _with_policy(policy: dict[str, Any]) -> Any:
    def change(doc: Document) -> None:
        doc["policy"] = [*doc["policy"], policy]

    return change


def _exported(datamap: Any) -> dict[str, list[str]]:
    plan = build_plan(datamap)
    return {s.name: [f.name for f in s.export_fields] for s in plan.steps}


def test_without_an_access_rule_the_fides_default_leaves_out_financial_data() -> None:
    datamap, _ = variant(lambda doc: None)
    exported = _exported(datamap)
    # user.financial (order and invoice amounts) is left out; system data never goes out.
    assert exported["shop.orders"] == ["customer_id", "shipping_address"]
    assert exported["shop.invoices"] == ["billing_name"]
    assert exported["shop.customers"] == ["id", "email", "name", "phone"]


def test_an_access_rule_on_user_exports_every_personal_category() -> None:
    everything = {
        "fides_key": "full_access",
        "rules": [{"action_type": "access", "targets": [{"data_category": "user"}]}],
    }
    exported = _exported(variant(_with_policy(everything))[0])
    assert exported["shop.orders"] == ["customer_id", "shipping_address", "total_cents"]
    assert exported["shop.invoices"] == ["billing_name", "amount_cents"]


def test_an_access_rule_exports_only_its_categories_and_honours_exclusions() -> None:
    contact_only = {
        "fides_key": "contact",
        "rules": [
            {
                "action_type": "access",
                "data_categories": {"matches": "ANY", "values": ["user.contact"]},
            }
        ],
    }
    exported = _exported(variant(_with_policy(contact_only))[0])
    assert exported["shop.customers"] == ["email", "phone"]
    assert exported["shop.orders"] == ["shipping_address"]
    assert exported["shop.tickets"] == []
    no_phone = {
        "fides_key": "default_access_policy",
        "rules": [
            {
                "action_type": "access",
                "targets": [{"data_category": "user.contact"}],
                "exclude": "user.contact.phone_number",
            }
        ],
    }
    assert _exported(variant(_with_policy(no_phone))[0])["shop.customers"] == ["email"]


def test_rule_targets_read_fides_and_fideslang_forms() -> None:
    assert rule_targets({"targets": [{"data_category": "user.contact"}]}) == Targets(
        ("user.contact",)
    )
    none_of = rule_targets({"data_categories": {"matches": "NONE", "values": ["user.financial"]}})
    assert none_of.covers("user.name") and not none_of.covers("user.financial.bank_account")
    assert none_of.covers("user.contact.email")  # NONE: every category but the listed ones
    targets = rule_targets(
        {"targets": [{"data_category": "user", "exclude": ["user.payment", "user.financial"]}]}
    )
    assert targets.covers("user.contact.email")
    assert not targets.covers("user.payment") and not targets.covers("user.financial.credit_card")
    assert not targets.covers("users.contact")  # a prefix of the text is not a parent


def test_erasure_precedence_field_override_then_policy_rule_then_default() -> None:
    def change(doc: Document) -> None:
        field_of(doc, "customers", "name")["masking_strategy_override"] = {
            "strategy": "string_rewrite",
            "configuration": {"rewrite_value": "gone"},
        }

    with_rules = build_plan(variant(change)[0]).step("shop.customers")
    strategies = {f.name: f.strategy for f in with_rules.fields if f.strategy}
    assert strategies["name"].describe() == "fixed 'gone'"  # the field's override
    assert strategies["email"].name == "hmac"  # the policy's most specific rule
    assert strategies["phone"].name == "null"  # the policy's rule on `user`
    assert "hash_emails" in strategies["email"].source

    def no_policy(doc: Document) -> None:
        doc["policy"] = []

    bare = build_plan(variant(no_policy)[0]).step("shop.customers")
    email = next(f for f in bare.fields if f.name == "email")
    assert email.strategy is not None and email.strategy.name == "null"
    assert email.strategy.source.startswith("default")


def test_package_leaves_out_what_the_access_policy_excludes(
    target: Target, store: tuple[Settings, Engine]
) -> None:
    settings, engine = store
    datamap, _ = variant(_with_policy(ACCESS_USER_BUT_FINANCIAL))
    rid = add_request(engine, "access", 2)
    (report,) = run_requests(engine, [rid], settings=settings, datamap=datamap)
    assert report.status == "completed", report.message
    result = status_of(engine, rid).result
    assert result is not None
    assert result["collections"]["shop.orders"]["fields"] == ["customer_id", "shipping_address"]
    path = package.find(settings, result["export_id"])
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        orders = json.loads(zf.read("data/shop.orders.json"))
        invoices = json.loads(zf.read("data/shop.invoices.json"))
        manifest = json.loads(zf.read("manifest.json"))
    assert len(orders) == 2 and all(set(o) == {"customer_id", "shipping_address"} for o in orders)
    assert {o["shipping_address"] for o in orders} == {"Street 2/0", "Street 2/1"}
    assert all(set(i) == {"billing_name"} for i in invoices)
    categories = {
        c for coll in manifest["collections"] for f in coll["fields"] for c in f["categories"]
    }
    assert "user.financial" not in categories and "user.contact.address" in categories
