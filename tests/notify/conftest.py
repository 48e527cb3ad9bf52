"""The request fixtures (stored data map, settings seen by services) for notification tests."""

from tests.dsr.conftest import datamap, dsr_settings

__all__ = ["datamap", "dsr_settings"]
