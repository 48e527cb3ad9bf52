"""Help that reads cleanly: TEXT, INTEGER, PATH and EMAIL instead of ``<str>``, ``<int>``,
``<path>`` and ``{email}``, and no type at all after flags.

The Typer release Ombud is built with prints Python type names in angle brackets and puts
arguments in braces; these wrappers give back Click's conventions for every command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer import core

_NAMES = {
    "str": "TEXT",
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "NUMBER",
    "float range": "NUMBER",
    "bool": "",
    "hex": "HEX",
}


def label(shown: str | None) -> str | None:
    """Click's label for what Typer shows: ``<int range>`` -> INTEGER, ``<bool>`` -> none."""
    if shown is None:
        return None
    inner = shown[1:-1] if shown.startswith("<") and shown.endswith(">") else shown
    many = inner.startswith("list[") and inner.endswith("]")
    if many:
        inner = inner[5:-1]
    # Choices stay as they are typed.
    text = inner if "|" in inner else _NAMES.get(inner, inner.upper())
    if not text:
        return None
    return f"{text}..." if many else text


def _wrap(original: Callable[..., str | None]) -> Callable[..., str | None]:
    def display(self: Any, ctx: Any) -> str | None:
        if getattr(self, "metavar", None) is not None:
            return str(self.metavar)
        if getattr(self, "is_flag", False):
            return None
        return label(original(self, ctx))

    return display


def _no_type(self: Any, ctx: Any) -> None:
    return None


def _argument_name(self: Any) -> str:
    return str(self.metavar or self.name or "").upper()


def _argument_usage(self: Any) -> str:
    name = _argument_name(self) + ("..." if self.nargs != 1 else "")
    return name if self.required else f"[{name}]"


def tidy() -> None:
    """Install the wrappers once (a Typer without these hooks is left alone)."""
    option: Any = core.TyperOption
    if getattr(option, "_ombud_tidy", False):
        return
    for name in ("display_type_rich", "display_type"):
        if hasattr(option, name):
            setattr(option, name, _wrap(getattr(option, name)))
    hooks = (
        ("display_type_rich", _no_type),
        ("display_name_raw", property(_argument_name)),
        ("_usage_display_name", _argument_usage),
    )
    replacement: object
    for name, replacement in hooks:
        if hasattr(core.TyperArgument, name):
            setattr(core.TyperArgument, name, replacement)
    option._ombud_tidy = True
