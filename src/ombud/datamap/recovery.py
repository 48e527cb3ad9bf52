"""Finding every problem of a data map in one pass.

When some parts of a map are malformed, the rest is still checked: the parts pydantic refused are
set aside, the remainder is validated again, and the semantic checks run on it. Problems the
checks would report only because a part was set aside (a reference to a recipient whose entry
was malformed) are dropped. Locations found on the pruned map are translated back to the files.
Also: plain words for YAML syntax errors and "did you mean" for unknown keys."""

from __future__ import annotations

import copy
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ombud.datamap.positions import Loc, Problem, SourceIndex
from ombud.datamap.schemas import DataMap

MAX_ROUNDS = 6
# Semantic problems that name another part of the map (and so may only be about a pruned part).
_DANGLING = re.compile(r"not declared|does not exist|no identity reaches it")


# ------------------------------------------------------------------ YAML in plain words
def plain_yaml_error(context: str | None, problem: str | None, char: str = "") -> str:
    """A YAML parser message (PyYAML's or libyaml's) in plain words, the original kept after it;
    ``char`` is the character at the problem's position."""
    original = " ".join(p for p in (context, problem) if p) or "cannot parse"
    text, where = problem or "", context or ""
    block_end = "expected <block end>" in text or "did not find expected" in text
    if "mapping values are not allowed" in text:
        plain = (
            "a ':' here would start a new key, but this line is indented more than the one "
            "above it, or a value contains ': ' (indent it like its neighbours, or put the "
            "value in quotes)"
        )
    elif char == "\t" or "'\\t'" in text:
        plain = "a tab character: YAML indents with spaces only"
    elif block_end and "block mapping" in where:
        plain = "this line is indented less than the key above it but more than its parent"
    elif block_end and "block collection" in where:
        plain = "a key is mixed into a list here (each list item starts with '- ')"
    elif "quoted scalar" in where and "end of stream" in text:
        plain = "a quote is opened but never closed"
    elif "flow sequence" in where or "flow mapping" in where:
        plain = "a '[' or '{' is opened but not closed on the same item (missing ']' or '}'?)"
    elif "undefined alias" in text:
        plain = f"{text} (a '*' starts an alias; put the value in quotes)"
    elif "could not find expected ':'" in text:
        plain = "a key needs a ':' after it"
    else:
        return f"malformed YAML: {original}"
    return f"malformed YAML: {plain} ({original})"


# ------------------------------------------------------------------ unknown keys
def _unwrap(annotation: Any) -> list[Any]:
    """The classes an annotation may hold (through Optional, list, dict values, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return [annotation]
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _unwrap(args[0])
    if origin in (typing.Union, types.UnionType):
        return [c for a in args for c in _unwrap(a)]
    if origin in (list, tuple, set, frozenset) and args:
        return _unwrap(args[0])
    if origin is dict and len(args) == 2:
        return _unwrap(args[1])
    return []


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The pydantic model that describes the mapping at ``loc`` of the merged map."""
    model: type[BaseModel] = DataMap
    for part in loc:
        if isinstance(part, int):
            continue
        info = next(
            (f for name, f in model.model_fields.items() if part in (name, f.alias)),
            None,
        )
        if info is None:
            return None
        models = [
            c for c in _unwrap(info.annotation) if isinstance(c, type) and issubclass(c, BaseModel)
        ]
        if not models:
            return None
        model = models[0]
    return model


def suggest_key(loc: Loc) -> str | None:
    """The known key nearest to the unknown last part of ``loc`` (``contry`` -> ``country``)."""
    model = _model_at(loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return None
    names = [f.alias or name for name, f in model.model_fields.items()]
    near = difflib.get_close_matches(loc[-1], names, n=1, cutoff=0.75)
    return near[0] if near else None


def suggest(word: str, known: typing.Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the known word nearest ``word``, or an empty string."""
    near = difflib.get_close_matches(word, list(known), n=1, cutoff=0.75)
    return f"; did you mean '{near[0]}'?" if near else ""


# ------------------------------------------------------------------ pruning
@dataclass
class Pruned:
    """A map validated after setting malformed parts aside."""

    datamap: DataMap | None
    # For each list (by its original location), the original positions that survived.
    survivors: dict[Loc, list[int]]
    names: set[str] = field(default_factory=set)

    def original(self, loc: Loc) -> Loc:
        """Translate a location in the pruned map to one in the merged map as written."""
        out: list[str | int] = []
        for part in loc:
            parent = tuple(out)
            if isinstance(part, int) and parent in self.survivors:
                kept = self.survivors[parent]
                out.append(kept[part] if part < len(kept) else part)
            else:
                out.append(part)
        return tuple(out)


def _item_loc(loc: Loc, depth: int) -> Loc | None:
    """The list item containing ``loc``, ``depth`` list levels up from the deepest one."""
    ints = [i for i, part in enumerate(loc) if isinstance(part, int)]
    if len(ints) <= depth:
        return None
    return loc[: ints[-1 - depth] + 1]


def _get(data: Any, loc: Loc) -> Any:
    for part in loc:
        data = data[part]
    return data


def _names(data: Any, loc: Loc) -> set[str]:
    """Names a problem elsewhere may use for the part at ``loc``: its key, and the dotted path
    of keys of the parts that contain it (``dataset.collection``)."""
    chain: list[str] = []
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict):
            key = node.get("fides_key") or node.get("name")
            if key:
                chain.append(str(key))
    return {".".join(chain[:n]) for n in range(1, len(chain) + 1)} | set(chain)


def _build(merged: dict[str, Any], removed: set[Loc]) -> tuple[dict[str, Any], Pruned]:
    data = copy.deepcopy(merged)
    survivors: dict[Loc, list[int]] = {}
    names: set[str] = set()
    # Deepest first, and from the end of each list, so earlier removals do not shift later ones.
    for loc in sorted(removed, key=lambda x: (len(x), x[-1]), reverse=True):
        parent_loc, i = loc[:-1], loc[-1]
        assert isinstance(i, int)
        try:
            parent = _get(data, parent_loc)
            parent[i]  # only checks that the item is there
        except (KeyError, IndexError, TypeError):
            continue
        names.update(_names(data, loc))
        kept = survivors.setdefault(parent_loc, list(range(len(parent))))
        kept.remove(i)
        del parent[i]
    return data, Pruned(None, survivors, names)


def prune(merged: dict[str, Any], errors: list[Any]) -> Pruned | None:
    """Validate ``merged`` without the list items holding ``errors``; None if it cannot be."""
    removed: set[Loc] = set()
    depth = 0
    pending = [tuple(e["loc"]) for e in errors]
    for _ in range(MAX_ROUNDS):
        for loc in pending:
            item = _item_loc(loc, depth)
            if item is None:
                return None  # a top-level part (organization, statement) is malformed
            removed.add(item)
        data, pruned = _build(merged, removed)
        try:
            pruned.datamap = DataMap.model_validate(data)
            return pruned
        except ValidationError as exc:
            # Removing an item broke its container (e.g. a collection left without fields):
            # set the container aside too.
            pending = [pruned.original(tuple(e["loc"])) for e in exc.errors()]
            depth += 1
    return None


class ShiftedIndex(SourceIndex):
    """A source index that reads locations of a pruned map as locations of the written one."""

    def __init__(self, index: SourceIndex, pruned: Pruned) -> None:
        self.__dict__.update(index.__dict__)
        self._pruned = pruned

    def locate(self, loc: Loc, *, at_key: bool = False) -> tuple[str, int, int]:
        """(file, line, column) of the written part that ``loc`` of the pruned map came from."""
        return super().locate(self._pruned.original(loc), at_key=at_key)


def keep_after_pruning(
    problems: list[Problem], names: set[str], *, lost_files: bool
) -> list[Problem]:
    """Semantic problems that are not caused by a part that was set aside (or a whole file that
    could not be parsed, when ``lost_files``)."""
    out = []
    for p in problems:
        if _DANGLING.search(p.message) and (
            lost_files or any(f"'{n}'" in p.message or f".{n}'" in p.message for n in names)
        ):
            continue
        out.append(p)
    return out
