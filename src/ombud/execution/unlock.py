"""The download page of a passphrase-protected package: the person types the passphrase
they chose and receives the decrypted ZIP over HTTPS, with no tool of their own.

The passphrase is never stored: it is checked by decrypting the package with it (age's
scrypt makes each try cost about a second). Wrong tries are counted per link in the store;
after ``package.UNLOCK_TRIES_PER_HOUR`` within an hour the page answers 429 and says when
to try again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Annotated, Any

import pyrage
from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.db import DbSession
from ombud.deps import SettingsDep
from ombud.dsr import letters, wording
from ombud.dsr import service as dsr_service
from ombud.dsr.outcome import UNLOCK_SUFFIX
from ombud.errors import Conflict
from ombud.execution import package, repository
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


def _check_passphrase_package(session: Session, request_id: str) -> None:
    request = dsr_service.get(session, request_id)
    if request.package_encryption != "passphrase":
        raise Conflict(
            "this package is not protected by a passphrase; download it with the link in "
            "your letter"
        )


@router.get(f"/privacy/exports/{{token}}{UNLOCK_SUFFIX}", response_class=HTMLResponse)
def unlock_form(token: str, session: DbSession, settings: SettingsDep) -> HTMLResponse:
    """The form asking for the package's passphrase."""
    export_id, request_id = package.unsign(settings, token)
    package.find(settings, export_id)
    _check_passphrase_package(session, request_id)
    return _locked(session, token, export_id) or _page(session, token)


@router.post(f"/privacy/exports/{{token}}{UNLOCK_SUFFIX}", response_model=None)
def unlock(
    token: str,
    passphrase: Annotated[str, Form(max_length=1024)],
    session: DbSession,
    settings: SettingsDep,
) -> Response:
    """Decrypt the package with the typed passphrase and stream the ZIP; a wrong one is
    counted (and the form shown again with how many tries are left)."""
    export_id, request_id = package.unsign(settings, token)
    path = package.find(settings, export_id)
    _check_passphrase_package(session, request_id)
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
    audit.record(
        session,
        action="execution.package_downloaded",
        actor="public:download-link",
        subject_type="privacy_request",
        subject_id=request_id,
        data={"export_id": export_id, "file": path.name, "decrypted": True},
    )
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
