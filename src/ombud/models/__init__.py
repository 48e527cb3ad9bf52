"""All tables; importing this module registers every one on ``Base.metadata``."""

from ombud.models import audit, datamap, requests, staff  # noqa: F401
from ombud.models.base import Base

__all__ = ["Base"]
