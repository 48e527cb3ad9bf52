"""All SQL of data map versions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from ombud.models.datamap import DataMapVersion


def get_latest(session: Session) -> DataMapVersion | None:
    """Return the version with the highest number, if any."""
    stmt = select(DataMapVersion).order_by(DataMapVersion.number.desc()).limit(1)
    return session.scalar(stmt)


def latest_key(session: Session) -> tuple[str, str] | None:
    """Id and content hash of the version with the highest number (its document not loaded)."""
    stmt = (
        select(DataMapVersion.id, DataMapVersion.content_hash)
        .order_by(DataMapVersion.number.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def get_by_id(session: Session, version_id: str) -> DataMapVersion | None:
    """Return the version with this id, if it exists."""
    return session.get(DataMapVersion, version_id)


def get_by_number(session: Session, number: int) -> DataMapVersion | None:
    """Return version ``number``, if it exists."""
    return session.scalar(select(DataMapVersion).where(DataMapVersion.number == number))


def get_by_hash(session: Session, content_hash: str) -> DataMapVersion | None:
    """Return the latest version with this content hash, if any."""
    stmt = (
        select(DataMapVersion)
        .where(DataMapVersion.content_hash == content_hash)
        .order_by(DataMapVersion.number.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def list_versions(session: Session) -> list[DataMapVersion]:
    """Every version, newest first, without loading documents and files."""
    stmt = (
        select(DataMapVersion)
        .options(defer(DataMapVersion.document), defer(DataMapVersion.files))
        .order_by(DataMapVersion.number.desc())
    )
    return list(session.scalars(stmt))


def next_number(session: Session) -> int:
    """The number the next version gets."""
    highest = session.scalar(select(func.max(DataMapVersion.number)))
    return int(highest or 0) + 1


def add(session: Session, version: DataMapVersion) -> None:
    """Insert a version."""
    session.add(version)
    session.flush()
