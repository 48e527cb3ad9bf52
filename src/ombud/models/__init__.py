"""All tables; importing this module registers every one on ``Base.metadata``."""

from ombud.models import (  # noqa: F401
    audit,
    complaints,
    consent,
    console,
    datamap,
    execution,
    mail,
    manual,
    notify,
    requests,
    retention,
    staff,
    statement,
    webhooks,
    workers,
)
from ombud.models.base import Base

__all__ = ["Base"]
