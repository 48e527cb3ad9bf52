"""``/healthz``: the process is up and the store answers."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from ombud import __version__
from ombud.db import DbSession

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: DbSession) -> dict[str, str]:
    """Report that the server runs and its store answers."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}


routers = [router]
