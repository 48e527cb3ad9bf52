"""Read a data map from a YAML file or a folder of them into one ``DataMap``.

Interface used by every domain: ``load_datamap(path) -> DataMap`` raising ``DataMapInvalid``
whose ``problems`` carry ``file:line:column: message``. Positions come from the YAML node tree
(``yaml.compose``), so structure errors from pydantic point at the offending key or value."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ombud.datamap.brand import embed_logo
from ombud.datamap.positions import Loc, Problem, SourceIndex
from ombud.datamap.recovery import (
    Pruned,
    ShiftedIndex,
    keep_after_pruning,
    plain_yaml_error,
    prune,
    suggest_key,
)
from ombud.datamap.schemas import DataMap
from ombud.errors import InvalidInput

__all__ = ["DataMapInvalid", "Problem", "load_datamap", "parse_files", "read_files"]

LIST_KEYS = (
    "system",
    "dataset",
    "recipient",
    "retention",
    "cookie",
    "subscription",
    "connection",
    "policy",
    "jurisdiction",
)
MAP_KEYS = ("statement", "translations")
# libyaml when PyYAML was built with it: the same nodes and positions, many times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Fides declares custom taxonomy entries as top-level lists; Ombud keeps them under `taxonomy`.
TAXONOMY_KINDS = ("data_category", "data_use", "data_subject")


class DataMapInvalid(InvalidInput):
    """The data map has problems; ``problems`` lists every one."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            f"the data map has {len(problems)} problem(s)",
            detail=[str(p) for p in problems],
        )
        self.problems = problems


def data_files(path: Path) -> list[Path]:
    """Return the YAML files of a data map path, in a stable order."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    return [path]


def read_files(path: Path) -> dict[str, str]:
    """Return {relative name: text} for every file of the data map."""
    if not path.exists():
        raise DataMapInvalid([Problem(str(path), 1, 1, "no such file or folder")])
    root = path if path.is_dir() else path.parent
    files: dict[str, str] = {}
    problems: list[Problem] = []
    for p in data_files(path):
        try:
            files[str(p.relative_to(root))] = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(Problem(str(p), 1, 1, f"cannot read this file: {exc}"))
    if problems:
        raise DataMapInvalid(problems)
    if not files:
        raise DataMapInvalid(
            [Problem(str(path), 1, 1, "no data map files here (expected *.yml or *.yaml)")]
        )
    return files


@dataclass
class Parsed:
    """A map and the index that locates any part of it in its files.

    ``problems`` holds what was found while reading (syntax and structure); when it is not
    empty, ``datamap`` is what remained valid after setting the malformed parts aside (``None``
    if nothing useful remained), so the semantic checks can still report the rest."""

    datamap: DataMap | None
    index: SourceIndex
    problems: list[Problem] = field(default_factory=list)
    pruned: Pruned | None = None
    lost_files: bool = False


def _codepoint(character: object) -> str:
    return f"U+{character:04X}" if isinstance(character, int) else repr(character)


def _reader_problem(name: str, text: str, exc: yaml.reader.ReaderError, index: SourceIndex) -> None:
    # A control character (or a NUL) is refused by the reader: say where it is.
    line = text.count("\n", 0, exc.position) + 1
    column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
    index.add(
        name,
        line,
        column,
        f"malformed YAML: control character {_codepoint(exc.character)} is not allowed",
    )


def _compose(name: str, text: str, index: SourceIndex) -> tuple[Any, yaml.Node | None]:
    """Parse one file into (data, root node); record problems in ``index``."""
    try:
        loader = _LOADER(text)
    except yaml.reader.ReaderError as exc:
        _reader_problem(name, text, exc, index)
        return None, None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        char = ""
        if mark is not None and mark.index is not None and 0 <= mark.index < len(text):
            char = text[mark.index]
        index.add(name, line, col, plain_yaml_error(exc.context, exc.problem, char))
        return None, None
    except yaml.reader.ReaderError as exc:
        _reader_problem(name, text, exc, index)
        return None, None
    except yaml.YAMLError as exc:
        index.add(name, 1, 1, f"malformed YAML: {exc}")
        return None, None
    finally:
        loader.dispose()
    if node is not None:
        index.check_duplicate_keys(name, node)
    return data, node


def _merge(
    docs: list[tuple[str, dict[str, Any], yaml.MappingNode]], index: SourceIndex
) -> dict[str, Any]:
    """Merge parsed files: lists concatenated, one organization, maps joined; record origins."""
    merged: dict[str, Any] = {}
    for name, doc, node in docs:
        for key, value in doc.items():
            key_node, value_node = index.child(node, key)
            if key == "organization":
                if "organization" in merged:
                    first = index.locate(("organization",))[0]
                    index.add_at(
                        name, key_node, f"organization is defined again (first in {first})"
                    )
                    continue
                local: Loc = ("organization",)
                if isinstance(value, list) and len(value) == 1:
                    value = value[0]
                    value_node = index.item(value_node, 0)
                    local = ("organization", 0)
                merged["organization"] = value
                index.origin(("organization",), name, key_node, value_node, local)
            elif key in LIST_KEYS and isinstance(value, list):
                target = merged.setdefault(key, [])
                for i, item in enumerate(value):
                    node_i = index.item(value_node, i)
                    index.origin((key, len(target)), name, None, node_i, (key, i))
                    target.append(item)
            elif key in TAXONOMY_KINDS and isinstance(value, list):
                _merge_taxonomy(merged, {key: value}, name, {key: value_node}, index, ())
            elif key == "taxonomy" and isinstance(value, dict):
                nodes = {k: index.child(value_node, k)[1] for k in value}
                _merge_taxonomy(merged, value, name, nodes, index, ("taxonomy",))
            elif key in MAP_KEYS and isinstance(value, dict):
                target_map = merged.setdefault(key, {})
                for sub, item in value.items():
                    sub_key, sub_value = index.child(value_node, sub)
                    index.origin((key, sub), name, sub_key, sub_value)
                    target_map[sub] = item
            else:
                index.origin((key,), name, key_node, value_node)
                merged[key] = value
    return merged


def _merge_taxonomy(
    merged: dict[str, Any],
    value: dict[str, Any],
    name: str,
    nodes: dict[str, yaml.Node | None],
    index: SourceIndex,
    local: Loc,
) -> None:
    taxonomy = merged.setdefault("taxonomy", {})
    for kind, entries in value.items():
        if not isinstance(entries, list):
            index.origin(("taxonomy", kind), name, None, nodes.get(kind), (*local, kind))
            taxonomy[kind] = entries
            continue
        target = taxonomy.setdefault(kind, [])
        for i, entry in enumerate(entries):
            index.origin(
                ("taxonomy", kind, len(target)), name, None, index.item(nodes.get(kind), i)
            )
            target.append(entry)


def _structure_message(error: Any, index: SourceIndex) -> tuple[Loc, str, bool]:
    """(location, message, point at key?) for one pydantic error."""
    loc: Loc = tuple(error["loc"])
    where = index.describe(loc)
    kind = error["type"]
    if kind == "missing":
        parent = index.describe(loc[:-1]) or "the data map"
        return loc, f"{parent}: missing required key '{loc[-1]}'", False
    if kind == "extra_forbidden":
        parent = index.describe(loc[:-1]) or "the data map"
        near = suggest_key(loc)
        hint = f"; did you mean '{near}'?" if near else ""
        return loc, f"{parent}: unknown key '{loc[-1]}'{hint}", True
    return loc, f"{where}: {error['msg']}", False


def _read_docs(
    files: dict[str, str], index: SourceIndex
) -> list[tuple[str, dict[str, Any], yaml.MappingNode]]:
    docs: list[tuple[str, dict[str, Any], yaml.MappingNode]] = []
    for name, text in files.items():
        index.note_file(name)
        data, node = _compose(name, text, index)
        if node is None and data is None:
            continue
        if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
            line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
            index.add(name, line, col, "a data map file must be a mapping of keys (key: value)")
            continue
        docs.append((name, data, node))
    return docs


def read(files: dict[str, str], *, root: Path | None = None) -> Parsed:
    """Parse file texts into a DataMap and its source index, keeping every problem found."""
    index = SourceIndex(root)
    docs = _read_docs(files, index)
    lost_files = len(docs) < len(files)
    merged = _merge(docs, index)
    try:
        datamap = DataMap.model_validate(merged)
    except ValidationError as exc:
        errors = exc.errors()
    else:
        embed_logo(datamap.organization.brand, root, index.problem)
        return Parsed(datamap, index, index.sorted_problems(), lost_files=lost_files)
    for error in errors:
        loc, message, at_key = _structure_message(error, index)
        index.problem(loc, message, at_key=at_key)
    pruned = prune(merged, errors)
    problems = index.sorted_problems()
    if pruned is None:
        return Parsed(None, index, problems, lost_files=lost_files)
    return Parsed(pruned.datamap, ShiftedIndex(index, pruned), problems, pruned, lost_files)


def parse(files: dict[str, str], *, root: Path | None = None) -> Parsed:
    """Parse file texts into a DataMap and its source index (structure only)."""
    parsed = read(files, root=root)
    if parsed.problems or parsed.datamap is None:
        raise DataMapInvalid(parsed.problems)
    return parsed


def parse_files(files: dict[str, str], *, root: Path | None = None) -> DataMap:
    """Parse file texts into a DataMap (structure only)."""
    datamap = parse(files, root=root).datamap
    assert datamap is not None
    return datamap


def check_files(files: dict[str, str], *, root: Path | None = None) -> DataMap:
    """Parse and run every semantic check; raise ``DataMapInvalid`` listing all problems."""
    from ombud.datamap.validate import validate

    parsed = read(files, root=root)
    problems = list(parsed.problems)
    if parsed.datamap is not None:
        found = validate(parsed.datamap, parsed.index)
        if parsed.problems:
            names = parsed.pruned.names if parsed.pruned else set()
            found = keep_after_pruning(found, names, lost_files=parsed.lost_files)
        problems += found
    if problems:
        unique = dict.fromkeys(problems)
        raise DataMapInvalid(sorted(unique, key=lambda p: (p.file, p.line, p.column, p.message)))
    assert parsed.datamap is not None
    return parsed.datamap


def display_root(path: Path) -> Path:
    """The folder that problem file names are shown relative to."""
    return path if path.is_dir() else path.parent


def load_datamap(path: Path) -> DataMap:
    """Load a data map from a file or folder and check it (structure and meaning)."""
    return check_files(read_files(path), root=display_root(path))
