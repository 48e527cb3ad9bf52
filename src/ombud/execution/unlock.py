"""The download page of a passphrase-protected package: the person types the passphrase
they chose and receives the decrypted ZIP over HTTPS, with no tool of their own.

The passphrase is never stored: it is checked by decrypting the package with it (age's
scrypt makes each try cost about a second). Wrong tries are counted per link in the store;
after ``package.UNLOCK_TRIES_PER_HOUR`` within an hour the page answers 429 and says when
to try again.

Main's delivery rules hold here too: the link works once (a successful unlock spends it, as a
download does), only while it is the request's current and unexpired package, and never for a
staff token."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any

import pyrage
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from ombud.clock import utcnow
from ombud.db import DbSession
from ombud.deps import SettingsDep
from ombud.dsr import letters, wording
from ombud.dsr.outcome import UNLOCK_SUFFIX
from ombud.errors import Conflict, Forbidden, error_response
from ombud.execution import downloads, package, repository
from ombud.models.requests import PrivacyRequest
from ombud.web.render import render

router = APIRouter(tags=["execution"])
WINDOW = timedelta(hours=1)
CHUNK = 64 * 1024


def _page(
    session: Session,
    token: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **ctx: Any,
) -> HTMLResponse:
    html = render(
        "execution/unlock.html",
        title="Open your data",
        org_name=letters.organization(session).name,
        action=f"/privacy/exports/{token}{UNLOCK_SUFFIX}",
        tries=package.UNLOCK_TRIES_PER_HOUR,
        **ctx,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def _locked(session: Session, token: str, export_id: str) -> HTMLResponse | None:
    """The 429 page when this link had too many wrong tries within the last hour."""
    now = utcnow()
    wrong = repository.wrong_unlocks_since(session, export_id, now - WINDOW)
    if len(wrong) < package.UNLOCK_TRIES_PER_HOUR:
        return None
    # The window frees up when the oldest counted try is an hour old.
    retry_at = wrong[-package.UNLOCK_TRIES_PER_HOUR] + WINDOW
    seconds = max(int((retry_at - now).total_seconds()) + 1, 1)
    return _page(
        session,
        token,
        status=429,
        headers={"Retry-After": str(seconds)},
        error=(
            f"Too many wrong passphrases for this link: at most "
            f"{package.UNLOCK_TRIES_PER_HOUR} an hour. Try again after "
            f"{wording.human_datetime(retry_at)}."
        ),
        locked=True,
    )


def _check_passphrase_package(request: PrivacyRequest) -> None:
    if request.package_encryption != "passphrase":
        raise Conflict(
            "this package is not protected by a passphrase; download it with the link in "
            "your letter"
        )


def _person_only(request: Request) -> None:
    if "authorization" in request.headers:
        raise Forbidden(
            "this link is for the person only; staff download packages through "
            "GET /api/v1/requests/{id}/package (privacy_officer), which is audited"
        )


def _used_page(exc: downloads.LinkUsed, token: str) -> HTMLResponse:
    """The page of a spent link, offering to mail a new one (as the download link does)."""
    page = render(
        "execution/link_used.html",
        title="Link already used",
        message=exc.message,
        renew=True,
        token=token,
    )
    return HTMLResponse(page, status_code=exc.status)


# A staff token on the person's link is refused (403): staff use the audited staff download.
@router.get(
    f"/privacy/exports/{{token}}{UNLOCK_SUFFIX}",
    response_class=HTMLResponse,
    responses={403: error_response(403)},
)
def unlock_form(
    token: str, request: Request, session: DbSession, settings: SettingsDep
) -> HTMLResponse:
    """The form asking for the package's passphrase."""
    _person_only(request)
    try:
        export_id, row = downloads.check_person_link(session, settings, token)
    except downloads.LinkUsed as exc:
        return _used_page(exc, token)
    package.find(settings, export_id)
    _check_passphrase_package(row)
    return _locked(session, token, export_id) or _page(session, token)


@router.post(
    f"/privacy/exports/{{token}}{UNLOCK_SUFFIX}",
    response_model=None,
    responses={403: error_response(403)},
)
def unlock(
    token: str,
    passphrase: Annotated[str, Form(max_length=1024)],
    request: Request,
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Decrypt the package with the typed passphrase and stream the ZIP; a wrong one is
    counted (and the form shown again with how many tries are left)."""
    _person_only(request)
    try:
        export_id, row = downloads.check_person_link(session, settings, token)
    except downloads.LinkUsed as exc:
        return _used_page(exc, token)
    path = package.find(settings, export_id)
    _check_passphrase_package(row)
    locked = _locked(session, token, export_id)
    if locked is not None:
        return locked
    now = utcnow()
    try:
        data: bytes = pyrage.passphrase.decrypt(path.read_bytes(), passphrase)
    except pyrage.DecryptError:
        repository.add_unlock_attempt(session, export_id, at=now, ok=False)
        wrong = len(repository.wrong_unlocks_since(session, export_id, now - WINDOW))
        left = package.UNLOCK_TRIES_PER_HOUR - wrong
        if left <= 0:
            return _locked(session, token, export_id) or _page(session, token, status=429)
        return _page(
            session,
            token,
            status=403,
            error=(
                f"That passphrase does not open this package. {left} "
                f"{'try' if left == 1 else 'tries'} left this hour."
            ),
        )
    repository.add_unlock_attempt(session, export_id, at=now, ok=True)
    # Spends the link and records the download, exactly as the plain download does.
    path, _ = downloads.open_person_link(session, settings, token)
    name = package.download_name(path).removesuffix(".age")

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), CHUNK):
            yield data[start : start + CHUNK]

    return StreamingResponse(
        chunks(),
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Content-Length": str(len(data)),
            "Cache-Control": "no-store",
        },
    )


routers: list[APIRouter] = [router]
