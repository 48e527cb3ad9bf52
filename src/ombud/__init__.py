"""Ombud: self-hosted privacy operations."""

__version__ = "0.1.0"
