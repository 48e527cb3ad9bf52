"""All tables; importing this module registers every one on ``Base.metadata``."""

from ombud.models import audit, consent, datamap, execution, requests, staff, statement  # noqa: F401
from ombud.models.base import Base

__all__ = ["Base"]
