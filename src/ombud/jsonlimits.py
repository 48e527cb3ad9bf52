"""Bounds on free-form JSON in request bodies: nesting depth and encoded size.

A value nested hundreds of levels deep is accepted by the JSON parser but cannot be written
back by the serialiser, so one such request would break every later listing that shows it."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import AfterValidator

MAX_DEPTH = 8
MAX_BYTES = 16 * 1024


def depth(value: Any) -> int:
    """Nesting depth of a JSON value: 0 for a scalar, 1 for a flat object or list."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in children)
    return deepest


def check_bounded(value: Any) -> Any:
    """Refuse JSON nested deeper than ``MAX_DEPTH`` or larger than ``MAX_BYTES`` when encoded."""
    if value is None:
        return value
    levels = depth(value)
    if levels > MAX_DEPTH:
        raise ValueError(f"nested {levels} levels deep; at most {MAX_DEPTH} are accepted")
    size = len(json.dumps(value, ensure_ascii=False, default=str).encode())
    if size > MAX_BYTES:
        raise ValueError(f"{size} bytes of JSON; at most {MAX_BYTES} are accepted")
    return value


BoundedObject = Annotated[dict[str, Any], AfterValidator(check_bounded)]
"""A free-form JSON object from a caller, bounded in depth and size."""
