"""HTTP endpoints of this domain (none yet)."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []
