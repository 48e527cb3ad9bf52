"""The dataset graph (identity reachability) and the taxonomy helpers other domains build on."""

from __future__ import annotations

from ombud.datamap import taxonomy
from ombud.datamap.graph import Edge, FieldAddress, build_graph
from ombud.datamap.loader import load_datamap
from tests.datamap.helpers import FIDES, VALID

DS = "postgres_example_test_dataset"


def test_fides_graph_reaches_collections_in_traversal_order() -> None:
    graph = build_graph(load_datamap(FIDES))
    assert graph.identities == {
        FieldAddress(DS, "customer", "email"): "email",
        FieldAddress(DS, "employee", "email"): "email",
    }
    assert (DS, "report") not in graph.collections  # skip_processing
    reached = graph.reachable({"email"})
    order = list(reached)
    assert order[:2] == [(DS, "customer"), (DS, "employee")]
    assert set(order) == {
        (DS, c) for c in ("customer", "employee", "address", "login", "payment_card")
    }
    assert reached[(DS, "login")] == [
        Edge(FieldAddress(DS, "customer", "id"), FieldAddress(DS, "login", "customer_id"))
    ]
    assert order.index((DS, "address")) > order.index((DS, "customer"))
    assert graph.reachable({"phone_number"}) == {}
    assert graph.unreachable_personal() == []


def test_unreachable_personal_names_the_missing_reference() -> None:
    m = load_datamap(VALID)
    invoices = m.dataset[0].collections[1]
    ref = invoices.fields[1].fides_meta.references[0]  # type: ignore[union-attr,index]
    ref.direction = "to"
    [(ds, coll, reason)] = build_graph(m).unreachable_personal()
    assert (ds, coll) == ("app_db", "invoices")
    assert "app_db.accounts.id point away from it" in reason


def test_taxonomy_keys_labels_and_suggestions() -> None:
    m = load_datamap(VALID)
    assert "user.contact.email" in taxonomy.keys("data_category")
    assert "customer" in taxonomy.keys("data_subject")
    assert taxonomy.label("data_category", "user.contact.email", m) == "Email address"
    assert taxonomy.label("data_category", "user.contact.phone_number") == "Phone number"
    assert taxonomy.label("data_use", "marketing.communications.email") == "Marketing emails"
    assert taxonomy.label("data_use", "marketing.communications.email", language="de") == (
        "Werbe-E-Mails"
    )
    assert taxonomy.description("data_subject", "customer")
    assert taxonomy.suggest("data_category", "user.contact.emial") == "user.contact.email"
    assert taxonomy.suggest("data_category", "email") == "user.contact.email"
    assert taxonomy.suggest("data_use", "zzzzzzzzzzzzzzzzzz") is None
    assert taxonomy.is_personal_category("user.name")
    assert not taxonomy.is_personal_category("system.operations")
    assert not taxonomy.is_personal_category("system")


def test_plain_labels_in_english_and_german_overridable_from_the_map() -> None:
    from ombud.datamap import labels

    m = load_datamap(VALID)
    for key in ("user.contact.email", "user.device.ip_address", "user.financial.credit_card"):
        en = taxonomy.label("data_category", key, None, "en")
        de = taxonomy.label("data_category", key, None, "de")
        assert en and de and en != de and "." not in en + de
        assert taxonomy.description("data_category", key, None, "de").endswith(".")
    # A key without words of its own borrows its parent's, never shows the key.
    assert taxonomy.label("data_category", "user.contact.address.unit", None, "de") == (
        "Postanschrift"
    )
    custom = m.model_copy(
        update={
            "taxonomy": {
                "data_category": [
                    {
                        "fides_key": "user.contact.email",
                        "name": "Work email",
                        "description": "The address at work.",
                        "translations": {"de": {"name": "Dienstliche E-Mail"}},
                    }
                ]
            }
        }
    )
    assert taxonomy.label("data_category", "user.contact.email", custom, "en") == "Work email"
    assert taxonomy.label("data_category", "user.contact.email", custom, "de") == (
        "Dienstliche E-Mail"
    )
    assert labels.shipped("data_use", "marketing.communications.email", "de") == (
        "Werbe-E-Mails",
        "Newsletter und Produktneuigkeiten per E-Mail.",
    )
