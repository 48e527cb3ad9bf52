"""Read a data map from a YAML file or a folder of them into one ``DataMap``.

Interface used by every domain: ``load_datamap(path) -> DataMap`` raising
``DataMapInvalid`` whose ``problems`` carry ``file:line:column: message``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ombud.datamap.schemas import DataMap
from ombud.errors import InvalidInput

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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data map, located in its source file."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


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
    return {str(p.relative_to(root)): p.read_text(encoding="utf-8") for p in data_files(path)}


def merge_documents(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Merge parsed files: lists are concatenated, one organization, statement maps joined."""
    merged: dict[str, Any] = {}
    for doc in docs.values():
        for key, value in doc.items():
            if key == "organization":
                value = value[0] if isinstance(value, list) and len(value) == 1 else value
                merged["organization"] = value
            elif key in ("statement", "taxonomy") and isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            elif key in LIST_KEYS and isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            else:
                merged[key] = value
    return merged


def parse_files(files: dict[str, str]) -> DataMap:
    """Parse file texts into a DataMap (structure only)."""
    docs: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for name, text in files.items():
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problems.append(Problem(name, line, col, f"malformed YAML: {exc}"))
            continue
        if not isinstance(doc, dict):
            problems.append(Problem(name, 1, 1, "a data map file must be a mapping of keys"))
            continue
        docs[name] = doc
    if problems:
        raise DataMapInvalid(problems)
    try:
        return DataMap.model_validate(merge_documents(docs))
    except ValidationError as exc:
        first = next(iter(files), "datamap")
        raise DataMapInvalid(
            [
                Problem(first, 1, 1, f"{'.'.join(map(str, e['loc']))}: {e['msg']}")
                for e in exc.errors()
            ]
        ) from None


def load_datamap(path: Path) -> DataMap:
    """Load and check a data map from a file or folder."""
    return parse_files(read_files(path))
