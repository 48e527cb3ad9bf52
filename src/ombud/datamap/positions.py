"""Where each part of a merged data map came from: file, line and column of its YAML node."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data map, located in its source file."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


def describe_loc(loc: Loc) -> str:
    """``("recipient", 0, "role")`` -> ``recipient[0].role``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class SourceIndex:
    """Maps locations in the merged document (``("system", 0, "privacy_declarations", 1)``) to
    file positions, and collects problems found while reading."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self._origins: dict[Loc, tuple[str, yaml.Node | None, yaml.Node | None]] = {}
        self._local: dict[Loc, Loc] = {}
        self._first_file: str | None = None

    def note_file(self, name: str) -> None:
        """Remember a file that was read (problems without a place point at the first one)."""
        if self._first_file is None:
            self._first_file = name

    def display(self, name: str) -> str:
        """The file name as problems show it."""
        return str(self.root / name) if self.root is not None else name

    def add(self, name: str, line: int, column: int, message: str) -> None:
        """Record a problem at a known position."""
        self.problems.append(Problem(self.display(name), line, column, message))

    def add_at(self, name: str, node: yaml.Node | None, message: str) -> None:
        """Record a problem at a node (1:1 when unknown)."""
        line, col = _mark(node) if node is not None else (1, 1)
        self.add(name, line, col, message)

    def sorted_problems(self) -> list[Problem]:
        """Problems in file, line, column order."""
        return sorted(self.problems, key=lambda p: (p.file, p.line, p.column, p.message))

    @staticmethod
    def child(node: yaml.Node | None, key: object) -> tuple[yaml.Node | None, yaml.Node | None]:
        """(key node, value node) of ``key`` in a mapping node, or (None, None)."""
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(key):
                    return k, v
        return None, None

    @staticmethod
    def item(node: yaml.Node | None, i: int) -> yaml.Node | None:
        """Item ``i`` of a sequence node, or None."""
        if isinstance(node, yaml.SequenceNode) and 0 <= i < len(node.value):
            item: yaml.Node = node.value[i]
            return item
        return None

    def origin(
        self,
        loc: Loc,
        name: str,
        key_node: yaml.Node | None,
        value_node: yaml.Node | None,
        local: Loc | None = None,
    ) -> None:
        """Remember that merged ``loc`` came from these nodes of file ``name`` (at ``local``)."""
        self._origins[loc] = (name, key_node, value_node)
        self._local[loc] = loc if local is None else local
        self.note_file(name)

    def describe(self, loc: Loc) -> str:
        """``loc`` as written in its own file (``recipient[0].role``), not in the merged map."""
        for n in range(len(loc), 0, -1):
            local = self._local.get(loc[:n])
            if local is not None:
                return describe_loc((*local, *loc[n:]))
        return describe_loc(loc)

    def locate(self, loc: Loc, *, at_key: bool = False) -> tuple[str, int, int]:
        """(file, line, column) of the deepest node along ``loc``."""
        for n in range(len(loc), 0, -1):
            found = self._origins.get(loc[:n])
            if found is None:
                continue
            name, key_node, node = found
            line, col = self._descend(loc[n:], key_node, node, at_key=at_key)
            return self.display(name), line, col
        if self._first_file is not None:
            return self.display(self._first_file), 1, 1
        return "datamap", 1, 1

    def _descend(
        self, rest: Loc, key_node: yaml.Node | None, node: yaml.Node | None, *, at_key: bool
    ) -> tuple[int, int]:
        for part in rest:
            if isinstance(part, int):
                nxt, nxt_key = self.item(node, part), None
            else:
                nxt_key, nxt = self.child(node, part)
            if nxt is None:
                # The part is missing (a required key): point at what should contain it.
                target = key_node or node
                return _mark(target) if target is not None else (1, 1)
            node, key_node = nxt, nxt_key
        if node is None:
            return _mark(key_node) if key_node is not None else (1, 1)
        if key_node is not None and (at_key or not isinstance(node, yaml.ScalarNode)):
            return _mark(key_node)
        return _mark(node)

    def at(self, loc: Loc, message: str, *, at_key: bool = False) -> Problem:
        """A problem located at ``loc``."""
        file, line, col = self.locate(loc, at_key=at_key)
        return Problem(file, line, col, message)

    def problem(self, loc: Loc, message: str, *, at_key: bool = False) -> None:
        """Record a problem located at ``loc``."""
        self.problems.append(self.at(loc, message, at_key=at_key))

    def check_duplicate_keys(self, name: str, node: yaml.Node) -> None:
        """Record keys given twice in one mapping (YAML would silently keep the last)."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, yaml.Node] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        first = seen[k.value].start_mark.line + 1
                        self.add_at(
                            name, k, f"key '{k.value}' is given twice (first on line {first})"
                        )
                    else:
                        seen[k.value] = k
                self.check_duplicate_keys(name, v)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self.check_duplicate_keys(name, item)
