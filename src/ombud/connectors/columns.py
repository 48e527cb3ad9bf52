"""Kinds of column types: what sort of value a declared type takes, across engines."""

from __future__ import annotations

import re

_LENGTH = re.compile(r"\(\s*(\d+)\s*\)")
# Checked in order: the first fragment found in the lower-cased type name decides.
_KINDS: tuple[tuple[str, str], ...] = (
    ("interval", "other"),
    ("point", "other"),
    ("timestamp", "datetime"),
    ("datetime", "datetime"),
    ("date", "date"),
    ("time", "time"),
    ("year", "integer"),
    ("bool", "boolean"),
    ("uuid", "uuid"),
    ("json", "json"),
    ("enum", "enum"),
    ("set(", "enum"),
    ("blob", "binary"),
    ("binary", "binary"),
    ("bytea", "binary"),
    ("bit", "binary"),
    ("int", "integer"),
    ("serial", "integer"),
    ("char", "text"),
    ("clob", "text"),
    ("text", "text"),
    ("string", "text"),
    ("citext", "text"),
    ("name", "text"),
    ("real", "float"),
    ("floa", "float"),
    ("doub", "float"),
    ("numeric", "decimal"),
    ("decimal", "decimal"),
    ("money", "decimal"),
    ("number", "decimal"),
)
# Types whose length in parentheses is a maximum number of characters.
_SIZED = ("char", "varchar", "character", "nchar", "nvarchar", "varying")


def kind_of(declared: str) -> str:
    """The kind of value a declared type takes; ``any`` for SQLite's untyped columns."""
    text = declared.strip().lower()
    if not text:
        return "any"
    for fragment, kind in _KINDS:
        if fragment in text:
            return kind
    return "other"


def declared_length(declared: str) -> int | None:
    """The maximum length in characters of ``varchar(200)``-like types, else None."""
    text = declared.strip().lower()
    match = _LENGTH.search(text)
    if match is None or kind_of(text) != "text":
        return None
    head = text[: match.start()].strip()
    if not any(head.endswith(s) for s in _SIZED):
        return None
    return int(match.group(1))
