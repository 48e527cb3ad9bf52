"""HTTP endpoints of the data map (filled by the data map work)."""

from __future__ import annotations

from fastapi import APIRouter

routers: list[APIRouter] = []
