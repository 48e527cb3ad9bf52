"""The nightly audit checkpoint: the server writes the signed head of the chain outside the
store (``OMBUD_AUDIT_CHECKPOINT_FILE``) at each time of the nightly schedule."""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from ombud.audit import checkpoint
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.errors import OmbudError

log = logging.getLogger(__name__)


def nightly_checkpoint(engine: Engine, settings: Settings) -> checkpoint.Checkpoint | None:
    """Append a checkpoint to the configured file (None when none is configured or the chain
    is broken, which is logged: a broken chain must not be anchored as if it were sound)."""
    path = settings.audit_checkpoint_file
    if path is None:
        return None
    try:
        with unit_of_work(engine) as session:
            cp = checkpoint.make(session, settings)
    except OmbudError as exc:
        log.error("no audit checkpoint written: %s", exc.message)
        return None
    checkpoint.append_to_file(path, cp)
    return cp
