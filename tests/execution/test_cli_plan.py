"""``ombud plan`` shows every reference into a collection, never cuts a name, and does not
call a collection exported when none of its fields is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ombud.cli.common import console
from ombud.cli.main import app
from tests.execution.graphs import Ref, Schema

runner = CliRunner()
LONG = "customer_shipping_and_billing_addresses_of_record"
SCHEMA = Schema(
    tables={
        LONG: {"id": "int", "street": "str"},
        "customers": {"id": "int", "email": "str", "address_id": "int"},
        "orders": {"id": "int", "customer_id": "int", "shipping_address_id": "int"},
        "order_links": {"id": "int", "order_id": "int", "card_id": "int"},
        "cards": {"id": "int", "billing_address_id": "int"},
    },
    identities={("customers", "email"): "email"},
    refs=[
        Ref("customers", "address_id", LONG, "id", "to"),
        Ref("orders", "customer_id", "customers", "id", "from"),
        Ref("orders", "shipping_address_id", LONG, "id", "to"),
        Ref("order_links", "order_id", "orders", "id", "from"),
        Ref("order_links", "card_id", "cards", "id", "to"),
        Ref("cards", "billing_address_id", LONG, "id", "to"),
    ],
    # A link table: nothing in it describes a person.
    categories={("order_links", c): "system.operations" for c in ("id", "order_id", "card_id")},
)


@pytest.fixture
def datamap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The schema's data map in a file, and a console narrower than its names."""
    path = tmp_path / "datamap.yaml"
    path.write_text(yaml.safe_dump(SCHEMA.document("sqlite:///unused.db"), sort_keys=False))
    monkeypatch.setattr(console, "_width", 60)
    return ["--datamap", str(path)]


def _column(output: str, index: int) -> list[str]:
    """The texts of one column of a Rich table with lines between rows, a cell's wrapped or
    folded pieces joined without spaces."""
    cells: list[str] = []
    piece: list[str] = []
    for line in output.splitlines():
        if line.startswith(("├", "└")) and piece:
            cells.append("".join(piece))
            piece = []
        elif line.startswith("│"):
            piece.append(line.split("│")[index + 1].strip())
    return cells


def test_plan_folds_long_names_and_lists_every_reference(datamap: list[str]) -> None:
    res = runner.invoke(app, ["plan", "--request-type", "access", *datamap])
    assert res.exit_code == 0, res.output
    assert "…" not in res.output
    names = _column(res.output, 1)
    assert LONG in names and "customers" in names
    via = _column(res.output, 3)[names.index(LONG)]
    for source in (
        "customers.address_id",
        "orders.shipping_address_id",
        "cards.billing_address_id",
    ):
        assert source in via
    action = _column(res.output, 4)[names.index("order_links")]
    assert action.startswith("nothingexported") and action.endswith("toreachcards")


def test_plan_as_json(datamap: list[str]) -> None:
    res = runner.invoke(app, ["plan", "--request-type", "access", "--format", "json", *datamap])
    assert res.exit_code == 0, res.output
    steps = {s["collection"]: s for s in json.loads(res.output)["steps"]}
    assert {r["from"] for r in steps[f"app.{LONG}"]["references"]} == {
        "app.customers.address_id",
        "app.orders.shipping_address_id",
        "app.cards.billing_address_id",
    }
    assert steps["app.order_links"]["action"] == "none" and steps["app.order_links"]["fields"] == []
    assert steps["app.order_links"]["leads_to"] == ["app.cards"]
    assert steps["app.customers"]["action"] == "export"
    assert steps["app.customers"]["identities"] == [{"field": "email", "type": "email"}]
    erasure = runner.invoke(
        app, ["plan", "--request-type", "erasure", "--format", "json", *datamap]
    )
    order = [s["collection"] for s in json.loads(erasure.output)["steps"]]
    assert order.index("app.order_links") < order.index("app.orders")
