"""The data map in force: applying immutable versions, reading the current one, checking files."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.config import get_settings
from ombud.datamap import repository
from ombud.datamap.loader import (
    DataMapInvalid,
    check_files,
    display_root,
    load_datamap,
    read_files,
)
from ombud.datamap.positions import Problem
from ombud.datamap.schemas import DataMap, DataMapVersionOut
from ombud.db import forget_per_transaction, once_per_transaction
from ombud.errors import NotFound
from ombud.models.datamap import DataMapVersion

NONE_APPLIED = "no data map has been applied: run 'ombud datamap apply PATH'"


def normalise(datamap: DataMap) -> dict[str, Any]:
    """The map as plain JSON data (defaults filled in): what is stored and hashed."""
    return datamap.model_dump(mode="json")


def content_hash(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a normalised document (sorted keys, no spaces)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def check(files: dict[str, str]) -> list[Problem]:
    """Every problem of a map given as {file name: YAML text}; empty when valid."""
    try:
        check_files(files)
    except DataMapInvalid as exc:
        return exc.problems
    return []


def apply(session: Session, *, path: Path, author: str) -> tuple[DataMapVersion, bool]:
    """Store the map at ``path`` as a new version; (version, created). Unchanged content
    returns the current version; an invalid map raises ``DataMapInvalid`` and stores nothing."""
    files = read_files(path)
    datamap = check_files(files, root=display_root(path))
    return apply_map(session, datamap=datamap, files=files, author=author, source=str(path))


def apply_map(
    session: Session, *, datamap: DataMap, files: dict[str, str], author: str, source: str = ""
) -> tuple[DataMapVersion, bool]:
    """Store an already checked map as a new version unless it equals the current one."""
    document = normalise(datamap)
    digest = content_hash(document)
    current = repository.get_latest(session)
    if current is not None and current.content_hash == digest:
        return current, False
    # Going back to an earlier content is a new version: history stays a straight line and
    # the audit entry names the version it restores.
    earlier = repository.get_by_hash(session, digest)
    version = DataMapVersion(
        number=repository.next_number(session),
        content_hash=digest,
        author=author,
        source=source,
        document=document,
        files=dict(files),
    )
    repository.add(session, version)
    forget_per_transaction(session)  # a new version in force for this transaction too
    audit.record(
        session,
        action="datamap.applied",
        actor=author,
        subject_type="datamap_version",
        subject_id=version.id,
        data={
            "number": version.number,
            "content_hash": digest,
            "source": source,
            "restores": earlier.number if earlier is not None else None,
        },
    )
    return version, True


def get_current_version(session: Session) -> DataMapVersion:
    """The latest applied version; ``NotFound`` if none."""
    version = repository.get_latest(session)
    if version is None:
        raise NotFound(NONE_APPLIED)
    return version


def get_version(session: Session, number: int) -> DataMapVersion:
    """Version ``number``; ``NotFound`` if it does not exist."""
    version = repository.get_by_number(session, number)
    if version is None:
        latest = repository.get_latest(session)
        have = f"versions are 1 to {latest.number}" if latest else NONE_APPLIED
        raise NotFound(f"data map version {number} does not exist ({have})")
    return version


def list_versions(session: Session) -> list[DataMapVersion]:
    """Every version, newest first (documents not loaded)."""
    return repository.list_versions(session)


def to_out(version: DataMapVersion, *, with_document: bool) -> DataMapVersionOut:
    """The API shape of a version."""
    return DataMapVersionOut(
        id=version.id,
        number=version.number,
        content_hash=version.content_hash,
        author=version.author,
        created_at=version.created_at.isoformat(),
        document=version.document if with_document else None,
    )


# Parsed versions by id: a version never changes, so a request's run, its letter and its
# package read the map in force with one small query instead of parsing it again each time.
_PARSED: OrderedDict[str, DataMap] = OrderedDict()
_PARSED_MAX = 8
_PARSED_LOCK = threading.Lock()


def _parsed(session: Session, version_id: str) -> DataMap | None:
    """The stored version with this id, parsed once per process (shared: read-only)."""
    with _PARSED_LOCK:
        if version_id in _PARSED:
            _PARSED.move_to_end(version_id)
            return _PARSED[version_id]
    version = repository.get_by_id(session, version_id)
    if version is None:
        return None
    datamap = DataMap.model_validate(version.document)
    with _PARSED_LOCK:
        _PARSED[version_id] = datamap
        while len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return datamap


_CURRENT = "ombud_datamap_current"


def current_version(session: Session) -> tuple[str, DataMap] | None:
    """The content hash and the (shared, not to be changed) map of the version in force."""
    # Read once per transaction: a request's completion asks several times (letters, result).
    key = version_key(session)
    if key is None:
        return None
    datamap = _parsed(session, key[0])
    return None if datamap is None else (key[1], datamap)


def version_key(session: Session) -> tuple[str, str] | None:
    """Id and content hash of the version in force, as this transaction read it."""
    key: tuple[str, str] | None = once_per_transaction(
        session, _CURRENT, lambda: repository.latest_key(session)
    )
    return key


def run_with(session: Session, key: tuple[str, str]) -> None:
    """Use version ``key`` as the one in force for the rest of this transaction: a request
    completes with the map it was claimed with, without reading which is the latest again
    (the transaction must have begun: what is kept for it is kept per transaction)."""
    forget_per_transaction(session, _CURRENT)
    once_per_transaction(session, _CURRENT, lambda: key)


def get_current(session: Session) -> DataMap:
    """Return the data map in force; raise ``NotFound`` if none was applied or configured.

    The applied version is shared by every caller in the process: treat it as read-only."""
    current = current_version(session)
    if current is not None:
        return current[1]
    path = get_settings().datamap_path
    if path is not None:
        return load_datamap(path)
    raise NotFound(NONE_APPLIED)


def get_map(session: Session, number: int | None = None) -> DataMap:
    """The parsed map of version ``number``, or the one in force when ``None`` (read-only)."""
    if number is None:
        return get_current(session)
    version = get_version(session, number)
    datamap = _parsed(session, version.id)
    return datamap if datamap is not None else DataMap.model_validate(version.document)
