"""All tables; importing this module registers every one on ``Base.metadata``."""

from ombud.models import (  # noqa: F401
    audit,
    consent,
    console,
    datamap,
    execution,
    mail,
    notify,
    requests,
    retention,
    staff,
    statement,
)
from ombud.models.base import Base

__all__ = ["Base"]
