"""Applied data map versions: immutable, identified by the hash of their content."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ombud.models.base import Base, CreatedMixin, IdMixin


class DataMapVersion(IdMixin, CreatedMixin, Base):
    __tablename__ = "datamap_versions"

    number: Mapped[int] = mapped_column(Integer, unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(320))
    source: Mapped[str] = mapped_column(Text, default="")
    # The normalised map (DataMap.model_dump(mode="json")) and the raw files it came from.
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
