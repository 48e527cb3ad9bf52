"""Request dependencies declared once: ``DbSession``, ``CurrentStaff`` and role guards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ombud.config import Settings
from ombud.db import DbSession
from ombud.errors import Unauthorized
from ombud.models.staff import ApiToken, Role
from ombud.staff import service as staff_service

_bearer = HTTPBearer(auto_error=False, description="API token from `ombud tokens create`")


def get_settings_dep(request: Request) -> Settings:
    """Return the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def get_current_token(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiToken:
    """Authenticate the bearer token of the request."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing API token: send 'Authorization: Bearer <token>'")
    return staff_service.authenticate_token(session, credentials.credentials)


CurrentStaff = Annotated[ApiToken, Depends(get_current_token)]


def role_required(role: Role) -> Callable[[ApiToken], ApiToken]:
    """Build a dependency that admits tokens with at least ``role``."""

    def _check(token: CurrentStaff) -> ApiToken:
        staff_service.require_role(token, role)
        return token

    return _check


ViewerStaff = Annotated[ApiToken, Depends(role_required(Role.viewer))]
OfficerStaff = Annotated[ApiToken, Depends(role_required(Role.privacy_officer))]
AdminStaff = Annotated[ApiToken, Depends(role_required(Role.admin))]
