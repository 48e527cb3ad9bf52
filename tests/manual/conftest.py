"""The shop target and store of the execution tests, with a help desk handled by hand."""

from __future__ import annotations

import pytest

from ombud.datamap.loader import parse_files, read_files
from ombud.datamap.schemas import DataMap, Recipient, RecipientRole
from tests.execution import shop
from tests.execution.conftest import target  # noqa: F401  (shared fixture)
from tests.execution.test_api_run import system  # noqa: F401  (shared fixture)
from tests.execution.test_lifecycle import store  # noqa: F401  (shared fixture)

OWNER = "helpdesk-owner@shop.test"


@pytest.fixture
def shop_map() -> DataMap:
    """The shop's data map plus a help desk without a connector, owned by ``OWNER``."""
    datamap = parse_files(read_files(shop.DATAMAP))
    datamap.recipient.append(
        Recipient(
            fides_key="helpdesk",
            name="Help desk",
            role=RecipientRole.processor,
            purpose="Support tickets",
            country="DE",
            manual=True,
            owner=OWNER,
        )
    )
    return datamap
