"""The current data map: the latest applied version, or the configured file."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.config import get_settings
from ombud.datamap.loader import load_datamap
from ombud.datamap.schemas import DataMap
from ombud.errors import NotFound
from ombud.models.datamap import DataMapVersion


def get_current(session: Session) -> DataMap:
    """Return the data map in force; raise ``NotFound`` if none was applied or configured."""
    # TODO(datamap helper): move SQL into repository.py
    version = session.scalar(select(DataMapVersion).order_by(DataMapVersion.number.desc()).limit(1))
    if version is not None:
        return DataMap.model_validate(version.document)
    path = get_settings().datamap_path
    if path is not None:
        return load_datamap(path)
    raise NotFound("no data map has been applied: run 'ombud datamap apply PATH'")
