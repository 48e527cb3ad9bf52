"""A draft data map sent as files or pasted text: read it safely, check it as
``ombud datamap validate`` does, and make it the current version when it is valid."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath

from sqlalchemy.orm import Session

from ombud.datamap import service
from ombud.datamap.loader import DataMapInvalid, check_files
from ombud.datamap.positions import Problem
from ombud.datamap.schemas import DataMap
from ombud.errors import InvalidInput
from ombud.models.datamap import DataMapVersion

# All files of a draft together; the demo's map is about 60 kB.
MAX_BYTES = 1_000_000
MAX_FILES = 50
PASTED = "pasted.yml"
SOURCE = "staff console upload"


@dataclass
class Draft:
    """The draft's files, every problem found, and the map when there are none."""

    files: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    datamap: DataMap | None = None

    @property
    def size(self) -> int:
        """Bytes of all files (UTF-8)."""
        return sum(len(t.encode("utf-8")) for t in self.files.values())


def _name(raw: str, taken: dict[str, str]) -> str:
    # Only the base name: a browser may send a path, and names are shown, never opened.
    name = PurePath(raw.replace("\\", "/")).name.strip() or PASTED
    base, n = name, 2
    while name in taken:
        stem, dot, suffix = base.rpartition(".")
        name = f"{stem}-{n}.{suffix}" if dot else f"{base}-{n}"
        n += 1
    return name


def _text(name: str, data: bytes) -> str:
    if b"\x00" in data:
        raise InvalidInput(f"{name} is a binary file, not YAML text; upload the .yml file itself")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{name} is not UTF-8 text (byte {exc.start + 1} cannot be read); save it as UTF-8"
        ) from None


def read_draft(uploads: list[tuple[str, bytes]], pasted: str = "") -> dict[str, str]:
    """{file name: text} of uploaded files and pasted text; ``InvalidInput`` saying what is
    wrong with a file that is not YAML text, too large, or when nothing was sent."""
    sent = [(n, d) for n, d in uploads if n or d]
    if pasted.strip():
        sent.append((PASTED, pasted.encode("utf-8")))
    if not sent:
        raise InvalidInput("choose a data map file (.yml or .yaml) or paste the map's YAML text")
    if len(sent) > MAX_FILES:
        raise InvalidInput(f"{len(sent)} files were sent; a draft has at most {MAX_FILES}")
    size = sum(len(d) for _, d in sent)
    if size > MAX_BYTES:
        raise InvalidInput(
            f"the draft has {size:,} bytes; the limit is {MAX_BYTES:,} bytes for all files"
        )
    files: dict[str, str] = {}
    for raw, data in sent:
        name = _name(raw, files)
        if not name.lower().endswith((".yml", ".yaml")):
            raise InvalidInput(f"{name} is not a YAML file: send .yml or .yaml files")
        if not data.strip():
            raise InvalidInput(f"{name} is empty")
        files[name] = _text(name, data)
    return files


def check_draft(files: dict[str, str]) -> Draft:
    """Every problem of the draft, as ``file:line:column: message`` like the CLI says them."""
    try:
        datamap = check_files(files)
    except DataMapInvalid as exc:
        return Draft(files, exc.problems)
    return Draft(files, [], datamap)


def make_current(
    session: Session, files: dict[str, str], *, author: str
) -> tuple[DataMapVersion, bool]:
    """Store a valid draft as the new current version ((version, created) as ``apply``);
    ``DataMapInvalid`` and nothing stored when it has problems."""
    datamap = check_files(files)
    return service.apply_map(session, datamap=datamap, files=files, author=author, source=SOURCE)
