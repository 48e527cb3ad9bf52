"""Connectors to the company's databases: one class per engine behind ``Connector``."""

from ombud.connectors.base import ConnectionFailed, Connector, connector_for, register

__all__ = ["ConnectionFailed", "Connector", "connector_for", "register"]
