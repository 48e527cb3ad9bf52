"""What the demo data map lets people correct, and how corrections are checked against it."""

from __future__ import annotations

import pytest

from ombud.datamap import correctable
from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import DataMap
from ombud.demo.setup import DATAMAP_SOURCE
from ombud.errors import InvalidInput


@pytest.fixture(scope="module")
def demo() -> DataMap:
    """The demo company's data map."""
    return load_datamap(DATAMAP_SOURCE)


def test_the_demo_offers_names_phone_country_and_the_newsletter_first_name(demo: DataMap) -> None:
    options = {o.key: o for o in correctable.options(demo)}
    assert set(options) == {
        "accounts.name",
        "accounts.phone",
        "accounts.country",
        "mailboxes.display_name",
        "marketing_contacts.first_name",
        "user.name",
    }
    # The category sets full names only; read-only fields and kept invoices are not offered.
    assert [t.name for t in options["user.name"].targets] == [
        "postlicht_app.accounts.name",
        "postlicht_app.mailboxes.display_name",
    ]
    assert options["accounts.country"].label == "Country (accounts)"
    owned = correctable.owned_references(demo)
    assert ("postlicht_app.accounts.id", "postlicht_app.invoices.account_id") in owned
    assert not any(dst.startswith("postlicht_app.mailboxes.") for _src, dst in owned)


def test_corrections_are_checked_and_typed(demo: DataMap) -> None:
    checked = correctable.check(
        demo,
        {"postlicht_app.accounts.country": " FR ", "user.name": "Jane", "accounts.phone": 4930},
    )
    assert checked == {"accounts.country": "FR", "user.name": "Jane", "accounts.phone": "4930"}
    with pytest.raises(InvalidInput, match=r"at most 2 characters fit here \(got 7\)"):
        correctable.check(demo, {"accounts.country": "Germany"})
    with pytest.raises(InvalidInput, match="give the correct value"):
        correctable.check(demo, {"accounts.name": "   "})
    with pytest.raises(InvalidInput, match="control characters"):
        correctable.check(demo, {"accounts.name": "Jane\x00"})
    for key in ("accounts.language", "invoices.billing_name", "accounts.id", "user.name.first"):
        with pytest.raises(InvalidInput) as caught:
            correctable.check(demo, {key: "x"})
        assert caught.value.detail["key"] == key
        assert "accounts.name" in caught.value.message


def test_a_field_can_leave_a_correctable_category(demo: DataMap) -> None:
    copy = demo.model_copy(deep=True)
    copy.correctable = ["user.contact"]
    keys = {o.key for o in correctable.options(copy)}
    # Fields below the listed category become correctable; no field holds exactly
    # user.contact, so the category itself is not offered as a key.
    assert {"invoices.billing_address", "accounts.email"} <= keys and "user.contact" not in keys
    assert "invoices.billing_name" not in keys  # correctable: false wins
