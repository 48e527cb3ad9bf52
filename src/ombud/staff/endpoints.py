"""``/api/v1/me``: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ombud.deps import CurrentStaff

router = APIRouter(prefix="/api/v1", tags=["staff"])


class Me(BaseModel):
    token_name: str
    role: str
    user_id: str


@router.get("/me", response_model=Me)
def me(token: CurrentStaff) -> Me:
    """Return the token's name, role and user."""
    return Me(token_name=token.name, role=token.role, user_id=token.user_id)


routers = [router]
