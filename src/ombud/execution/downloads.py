"""Who may download an access package, and when.

The person's link (in their letter only) works once; a spent link offers to mail a new one to
the address of the request. Staff never get that link: privacy officers download through the
staff API, under their own name in the audit log. Packages go when their link expires, when
the request is purged, and when a run that wrote one died before recording it."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import after_commit
from ombud.dsr import letters
from ombud.dsr import service as dsr_service
from ombud.errors import Conflict, Gone, NotFound
from ombud.execution import export_links, package
from ombud.models.requests import PrivacyRequest

log = logging.getLogger(__name__)

MAX_RENEWALS = 3
SUBJECT = "privacy_request"


class LinkUsed(Gone):
    """The person's link was used once already; a new one can be mailed to them."""

    code = "link_used"


def new_export_id(request_id: str) -> str:
    """A fresh export id: the request's id (so its files can be found) and a random tail."""
    return request_id.replace("-", "") + os.urandom(4).hex()


def expires_at(settings: Settings, written: datetime | None = None) -> datetime:
    """When a package written at ``written`` (default: now) and its links expire."""
    return (written or utcnow()) + timedelta(hours=settings.export_ttl_hours)


def _current(request: PrivacyRequest, export_id: str) -> dict[str, Any]:
    """The request's result when ``export_id`` is its current package; else ``Gone``."""
    result = dict(request.result or {})
    if not result.get("export_id"):
        raise Gone("this download is no longer available")
    if result["export_id"] != export_id:
        raise Gone("this link was replaced by a newer one; use the link in our latest email")
    expiry = result.get("download_expires_at")
    if expiry and datetime.fromisoformat(str(expiry)) <= utcnow():
        raise Gone("this download link has expired; make a new request to get your data")
    return result


def _unspent(result: dict[str, Any]) -> None:
    if result.get("download_used_at"):
        raise LinkUsed(
            "this link was already used once; we can email a new link to the address of "
            "your request",
            detail={"renew": True},
        )


def check_person_link(
    session: Session, settings: Settings, token: str
) -> tuple[str, PrivacyRequest]:
    """(export id, request) of a person's link that still works; it is not marked spent."""
    export_id, request_id = export_links.unsign(settings, token)
    request = dsr_service.get(session, request_id)
    _unspent(_current(request, export_id))
    return export_id, request


def open_person_link(
    session: Session, settings: Settings, token: str
) -> tuple[Path, PrivacyRequest]:
    """The package file of a person's link, marking the link spent (once per person)."""
    export_id, request_id = export_links.unsign(settings, token)
    request = dsr_service.get(session, request_id, lock=True)
    result = _current(request, export_id)
    _unspent(result)
    path = package.find(settings, export_id)
    request.result = {**result, "download_used_at": utcnow().isoformat()}
    audit.record(
        session,
        action="execution.package_downloaded",
        actor="public:download-link",
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"export_id": export_id, "file": path.name},
    )
    return path, request


def renew_person_link(session: Session, settings: Settings, token: str) -> PrivacyRequest:
    """Mail a new one-time link to the request's address; the old link stops working."""
    export_id, request_id = export_links.unsign(settings, token)
    request = dsr_service.get(session, request_id, lock=True)
    result = _current(request, export_id)
    renewals = int(result.get("link_renewals", 0))
    if renewals >= MAX_RENEWALS:
        raise Conflict(f"a new link was already sent {renewals} times; contact us to get your data")
    old = package.find(settings, export_id)
    new_id = new_export_id(request.id)
    # A new file name makes a new link: every earlier link names a file that is gone. Linked
    # now, the old name removed after the commit, so a rollback leaves the old link working.
    new_path = old.with_name(old.name.replace(export_id, new_id, 1))
    try:
        os.link(old, new_path)
    except OSError:  # a file system without hard links
        shutil.copy2(old, new_path)
    after_commit(session, lambda: old.unlink(missing_ok=True))
    request.result = {
        **result,
        "export_id": new_id,
        "download_used_at": None,
        "link_renewals": renewals + 1,
        "package_file": new_path.name if result.get("package_file") else None,
    }
    url, _ = export_links.sign(settings, export_id=new_id, request_id=request.id)
    letters.send(
        session,
        request,
        "new_link",
        actor="public:download-link",
        secret={"download_url": url},
        download_expires_at=result.get("download_expires_at"),
    )
    audit.record(
        session,
        action="execution.package_link_renewed",
        actor="public:download-link",
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"renewals": renewals + 1},
    )
    return request


def staff_download(session: Session, settings: Settings, request_id: str, *, actor: str) -> Path:
    """The package of a request for a privacy officer, audited under their name."""
    request = dsr_service.get(session, request_id)
    export_id = (request.result or {}).get("export_id")
    if not export_id:
        raise NotFound(f"request {request_id} has no access package")
    path = package.find(settings, str(export_id))
    audit.record(
        session,
        action="execution.package_downloaded_by_staff",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"export_id": export_id, "file": path.name},
    )
    return path


def purge_expired(session: Session, settings: Settings, *, dry_run: bool = False) -> int:
    """Delete packages whose link expired, and stray ones of closed requests; return how many
    (``dry_run``: only count them, for ``ombud retention plan``).

    A package belongs to the request whose id starts its name. It stays while it is the
    request's current package and unexpired, or while its request is still being run (the
    run writes the file before it records it)."""
    folder = settings.data_dir / "exports"
    if not folder.is_dir():
        return 0
    now = utcnow()
    gone = 0
    for path in sorted(folder.iterdir()):
        # ``<export id>[.<org>-<type>-<date>].zip[.age]``: the id is all before the first dot.
        export_id = package.export_id_of(path)
        if ".zip" not in path.name or len(export_id) != 40:
            continue
        try:
            request_id = str(uuid.UUID(export_id[:32]))
        except ValueError:
            continue
        try:
            request: PrivacyRequest | None = dsr_service.get(session, request_id)
        except NotFound:
            request = None
        if request is not None and request.status in ("approved", "in_progress", "failed"):
            continue
        result = dict(request.result or {}) if request is not None else {}
        expiry = result.get("download_expires_at")
        current = result.get("export_id") == export_id
        if current and expiry and datetime.fromisoformat(str(expiry)) > now:
            continue
        gone += 1
        if dry_run:
            continue
        path.unlink(missing_ok=True)
        if request is not None and current:
            request.result = {**result, "package_deleted_at": now.isoformat()}
            audit.record(
                session,
                action="execution.package_deleted",
                actor="system:housekeeping",
                subject_type=SUBJECT,
                subject_id=request.id,
                data={"export_id": export_id, "reason": "link expired"},
            )
    if gone and not dry_run:
        log.info("deleted %d expired access package(s)", gone)
    return gone
