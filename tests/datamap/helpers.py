"""Build data map folders for tests: the valid example plus one extra file."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from ombud.datamap.loader import DataMapInvalid, load_datamap

MAPS = Path(__file__).parent / "maps"
VALID = MAPS / "valid"
FIDES = MAPS / "fides"


def map_with(tmp_path: Path, extra: str, name: str = "extra.yml") -> Path:
    """Copy the valid map into tmp_path/map and add ``extra`` (dedented) as ``name``."""
    folder = tmp_path / "map"
    shutil.copytree(VALID, folder)
    (folder / name).write_text(textwrap.dedent(extra).lstrip("\n"), encoding="utf-8")
    return folder


def problems_of(path: Path) -> list[str]:
    """Every problem of the map at ``path`` as 'file:line:column: message'."""
    with pytest.raises(DataMapInvalid) as info:
        load_datamap(path)
    return [str(p) for p in info.value.problems]
