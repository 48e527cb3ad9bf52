"""Request dependencies declared once: ``DbSession``, ``CurrentStaff`` and role guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from ombud.config import Settings
from ombud.console.web import ConsoleIdentity, identify, require
from ombud.db import DbSession
from ombud.errors import Unauthorized
from ombud.models.staff import ApiToken, Role
from ombud.staff import service as staff_service

_bearer = HTTPBearer(auto_error=False, description="API token from `ombud tokens create`")

# The cheap dependencies are ``async def`` on purpose: FastAPI runs a sync dependency in the
# thread pool, and a thread hop per dependency costs more than the work itself.


async def get_settings_dep(request: Request) -> Settings:
    """Return the settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_current_token(
    session: DbSession,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ApiToken:
    """Authenticate the bearer token of the request (recently checked tokens skip the store)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("missing API token: send 'Authorization: Bearer <token>'")
    max_age = settings.token_cache_seconds
    if max_age > 0:
        token = staff_service.cached_token(credentials.credentials, max_age)
        if token is not None:
            return token
    return await run_in_threadpool(
        staff_service.authenticate_token, session, credentials.credentials, cache=max_age > 0
    )


CurrentStaff = Annotated[ApiToken, Depends(get_current_token)]

# Ids in paths: uuids, receipt ids and callers' own ids; never spaces, control characters or
# anything long enough to be a payload.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,99}$"
IdPath = Annotated[str, Path(pattern=ID_PATTERN, description="an id as Ombud shows it")]


def role_required(role: Role) -> Callable[[ApiToken], Awaitable[ApiToken]]:
    """Build a dependency that admits tokens with at least ``role``."""

    async def _check(token: CurrentStaff) -> ApiToken:
        staff_service.require_role(token, role)
        return token

    return _check


ViewerStaff = Annotated[ApiToken, Depends(role_required(Role.viewer))]
OfficerStaff = Annotated[ApiToken, Depends(role_required(Role.privacy_officer))]
AdminStaff = Annotated[ApiToken, Depends(role_required(Role.admin))]


# ---------------------------------------------------------------- staff console (cookies)


async def get_console_user(
    request: Request, session: DbSession, settings: SettingsDep
) -> ConsoleIdentity:
    """The signed-in console user (else a redirect to sign in); POSTs must carry the CSRF token."""
    return await identify(request, session, settings)


ConsoleUser = Annotated[ConsoleIdentity, Depends(get_console_user)]


def console_role(role: Role) -> Callable[[ConsoleIdentity], Awaitable[ConsoleIdentity]]:
    """Build a dependency that admits console users with at least ``role``."""

    async def _check(ident: ConsoleUser) -> ConsoleIdentity:
        require(ident, role)
        return ident

    return _check


ConsoleOfficer = Annotated[ConsoleIdentity, Depends(console_role(Role.privacy_officer))]
ConsoleAdmin = Annotated[ConsoleIdentity, Depends(console_role(Role.admin))]
