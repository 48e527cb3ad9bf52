"""``/api/v1/me/notifications``: a staff member turns their notification mail on or off."""

from __future__ import annotations

from fastapi import APIRouter

from ombud.db import DbSession
from ombud.deps import ViewerStaff
from ombud.notify import repository, schemas, service

router = APIRouter(prefix="/api/v1/me", tags=["staff"])


@router.get("/notifications", response_model=schemas.Notifications)
def get_notifications(session: DbSession, token: ViewerStaff) -> schemas.Notifications:
    """Whether you get mail about verified requests and the daily deadline digest."""
    user = repository.user_by_id(session, token.user_id)
    return schemas.Notifications(enabled=bool(user and user.notifications))


@router.put("/notifications", response_model=schemas.Notifications)
def set_notifications(
    body: schemas.Notifications, session: DbSession, token: ViewerStaff
) -> schemas.Notifications:
    """Turn your notification mail on or off (audited)."""
    user = service.set_notifications(
        session, email=token.user.email, enabled=body.enabled, actor=token.user.email
    )
    return schemas.Notifications(enabled=user.notifications)


routers = [router]
