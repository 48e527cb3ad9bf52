"""The demo data map: loads, validates, uses only known taxonomy keys, reaches every table."""

from __future__ import annotations

import yaml
from fideslang.models import Dataset as FidesDataset

from ombud.datamap import taxonomy
from ombud.datamap.graph import build_graph
from ombud.datamap.loader import load_datamap, read_files
from ombud.datamap.schemas import DataMap, Safeguard
from ombud.datamap.service import check
from ombud.datamap.transfers import is_third_country
from ombud.demo.appdb import CONNECTION_NAME, DATASET_KEY, TABLE_ORDER
from ombud.demo.setup import DATAMAP_SOURCE


def _map() -> DataMap:
    return load_datamap(DATAMAP_SOURCE)


def test_demo_datamap_loads_and_validates_without_problems() -> None:
    datamap = _map()
    assert datamap.organization.name == "Postlicht Mail GmbH"
    assert check(read_files(DATAMAP_SOURCE)) == []


def test_organization_has_what_a_statement_needs() -> None:
    org = _map().organization
    roles = {e.role: e.address.country for e in org.legal_entities}
    assert roles == {"controller": "DE", "representative": "GB", "affiliate": "US"}
    assert org.dpo is not None and org.dpo.email
    assert org.privacy_contact is not None and org.privacy_contact.email
    assert org.supervisory_authority is not None
    assert "Berlin" in org.supervisory_authority.name
    assert org.dispute_resolution is not None
    assert len(org.security_measures) >= 5
    assert org.jurisdictions == ["gdpr", "uk_gdpr", "ccpa"]


def test_every_taxonomy_key_is_a_fideslang_default_key() -> None:
    datamap = _map()
    assert datamap.taxonomy == {}
    used: dict[taxonomy.Kind, set[str]] = {"data_category": set(), "data_use": set()}
    used["data_subject"] = set()
    for system in datamap.system:
        for decl in system.privacy_declarations:
            used["data_use"].add(decl.data_use)
            used["data_category"].update(decl.data_categories)
            used["data_subject"].update(decl.data_subjects)
    for dataset in datamap.dataset:
        for coll in dataset.collections:
            for field in coll.fields:
                used["data_category"].update(field.data_categories or [])
    for recipient in datamap.recipient:
        used["data_category"].update(recipient.data_categories)
    for rule in datamap.retention:
        used["data_category"].update(rule.data_categories)
    used["data_use"].update(s.data_use for s in datamap.subscription)
    for kind, keys in used.items():
        assert keys, kind
        assert keys <= taxonomy.keys(kind), (kind, keys - taxonomy.keys(kind))


def test_declarations_name_a_legal_basis_a_declared_retention_and_recipients() -> None:
    datamap = _map()
    rules = {r.fides_key for r in datamap.retention}
    bases = set()
    for system in datamap.system:
        for decl in system.privacy_declarations:
            assert decl.legal_basis is not None, decl.name
            if system.fides_key == "privacy_operations":
                # Ombud's own records are not a company collection: their period is in words.
                assert decl.retention.startswith(("2 years", "3 years")), decl.name
            else:
                assert decl.retention in rules, decl.name
            assert decl.recipients, decl.name
            assert all(datamap.get_recipient(r) for r in decl.recipients)
            bases.add(decl.legal_basis.value)
    assert bases == {"contract", "legal_obligation", "consent", "legitimate_interests"}


def test_transfers_outside_the_eea_all_have_safeguards_of_every_kind() -> None:
    datamap = _map()
    third = [r for r in datamap.recipient if is_third_country(r.country)]
    assert {r.country for r in third} >= {"US", "CH", "GB"}
    assert all(r.safeguard is not None for r in third)
    kinds = {r.safeguard for r in third}
    assert {Safeguard.adequacy, Safeguard.standard_contractual_clauses} <= kinds
    assert Safeguard.derogation in kinds
    assert {r.role.value for r in datamap.recipient} == {
        "processor",
        "partner",
        "affiliate",
        "authority",
        "business_transfer",
    }


def test_retention_rules_and_legal_hold() -> None:
    rules = {r.fides_key: r for r in _map().retention}
    assert rules["login_events"].period == "P90D"
    assert rules["support_tickets"].period == "P2Y"
    assert rules["invoices"].legal_hold and rules["invoices"].period == "P10Y"
    assert "147" in rules["invoices"].legal_reference
    assert rules["analytics"].action.value == "anonymise"
    assert rules["marketing_contacts"].timestamp_field == "unsubscribed_at"


def test_cookies_cover_every_category_and_subscriptions_have_notices() -> None:
    datamap = _map()
    categories = {c.category.value for c in datamap.cookie}
    assert categories == {"strictly_necessary", "functional", "analytics", "advertising"}
    assert all(c.provider and c.duration and c.purpose for c in datamap.cookie)
    keys = {s.fides_key for s in datamap.subscription}
    assert keys == {"newsletter", "product_updates", "privacy_statement_updates"}
    assert all(len(s.notice) > 40 for s in datamap.subscription)


def test_dataset_points_to_the_app_db_connection() -> None:
    datamap = _map()
    dataset = datamap.get_dataset(DATASET_KEY)
    assert dataset is not None and dataset.connection == CONNECTION_NAME
    assert datamap.get_connection(CONNECTION_NAME) is not None
    assert [c.name for c in dataset.collections] == list(TABLE_ORDER)


def test_dataset_is_valid_fides_and_keeps_fides_masking_overrides() -> None:
    raw = yaml.safe_load((DATAMAP_SOURCE / "dataset.yaml").read_text(encoding="utf-8"))
    fides = FidesDataset.model_validate(raw["dataset"][0])
    accounts = next(c for c in fides.collections if c.name == "accounts")
    email = next(f for f in accounts.fields if f.name == "email")
    assert email.fides_meta is not None and email.fides_meta.identity == "email"
    assert email.fides_meta.masking_strategy_override is not None
    assert email.fides_meta.masking_strategy_override.strategy == "random_string_rewrite"
    # Ombud's own model reads the same Fides key, typed.
    ours = _map().get_dataset(DATASET_KEY)
    assert ours is not None
    meta = ours.collections[0].fields[1].fides_meta
    assert meta is not None and meta.masking_strategy_override is not None
    assert meta.masking_strategy_override.strategy == "random_string_rewrite"


def test_every_collection_is_reached_from_an_identity() -> None:
    graph = build_graph(_map())
    assert graph.unreachable_personal() == []
    assert sorted(graph.identities.values()) == ["email", "email", "phone_number"]
    reached = graph.reachable({"email"})
    assert {name for _ds, name in reached} == set(TABLE_ORDER)
    order = [name for _ds, name in reached]
    assert order.index("support_tickets") < order.index("ticket_messages")


def test_packaged_files_are_all_yaml() -> None:
    # YAML, plus the brand's logo the organization names.
    names = sorted(p.name for p in DATAMAP_SOURCE.iterdir() if p.name != "postlicht-logo.svg")
    assert names == sorted(
        f"{n}.yaml"
        for n in (
            "connections",
            "cookies",
            "dataset",
            "organization",
            "recipients",
            "retention",
            "subscriptions",
            "systems",
            "translations",
        )
    )
