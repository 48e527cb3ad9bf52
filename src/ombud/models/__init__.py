"""All tables; importing this module registers every one on ``Base.metadata``."""

from ombud.models import (  # noqa: F401
    audit,
    consent,
    datamap,
    execution,
    mail,
    requests,
    retention,
    staff,
    statement,
    workers,
)
from ombud.models.base import Base

__all__ = ["Base"]
