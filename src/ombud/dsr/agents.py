"""Authorized agents (CCPA § 7063): the person confirms by email and the agent's written
permission is attached before the request may be approved.

The permission document is kept as evidence in ``data_dir/agent_permissions`` (files 0600,
named by request and a random part, never by the uploaded name) until the request is purged."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.dsr import carry_out, hints, repository, workflow
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S

FOLDER = "agent_permissions"
MAX_BYTES = 10 * 1024 * 1024
# What a signed permission arrives as: a PDF or a scan. Recognised by content, not by name.
KINDS = {b"%PDF-": ("application/pdf", "pdf"), b"\x89PNG\r\n\x1a\n": ("image/png", "png")}
JPEG = b"\xff\xd8\xff"
SUBJECT = "privacy_request"


def waits_for_permission(request: PrivacyRequest) -> bool:
    """True for an agent's request whose written permission is not attached yet."""
    return request.agent is not None and request.agent_permission is None


def after_confirmation(request: PrivacyRequest) -> S:
    """Where a request goes once the person confirmed it."""
    return S.awaiting_authorization if waits_for_permission(request) else S.verified


def authorized(request: PrivacyRequest) -> bool:
    """True once the person confirmed and the agent's permission is attached."""
    return (
        request.agent is not None
        and request.agent_permission is not None
        and request.verified_at is not None
    )


def folder(settings: Settings) -> Path:
    """Where permission documents are kept (made 0700 on first use)."""
    path = settings.data_dir / FOLDER
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _kind(data: bytes) -> tuple[str, str]:
    for magic, kind in KINDS.items():
        if data.startswith(magic):
            return kind
    if data.startswith(JPEG):
        return "image/jpeg", "jpg"
    raise InvalidInput("document: attach the signed permission as a PDF, PNG or JPEG file")


def _write(settings: Settings, name: str, data: bytes) -> None:
    fd = os.open(folder(settings) / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def attach_permission(
    session: Session, request_id: str, *, actor: str, data: bytes, description: str
) -> PrivacyRequest:
    """Keep the agent's signed permission; a request the person already confirmed is verified."""
    description = hints.plain_text(description, "description")
    if not data:
        raise InvalidInput("document: the uploaded file is empty")
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"document: the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    content_type, ext = _kind(data)
    request = repository.get_for_update(session, request_id)
    if request is None:
        raise NotFound(f"no privacy request with id {request_id}")
    if request.agent is None:
        raise Conflict(f"request {request_id} was not made by an agent; no permission is needed")
    if request.agent_permission is not None:
        raise Conflict(f"request {request_id} already has the agent's permission attached")
    if S(request.status) in workflow.CLOSED:
        raise Conflict(f"request {request_id} is {request.status}")
    settings = config.get_settings()
    name = f"{request.id}-{secrets.token_hex(8)}.{ext}"
    _write(settings, name, data)
    try:
        _record(
            session,
            request,
            name=name,
            data=data,
            kind=content_type,
            actor=actor,
            description=description,
        )
    except BaseException:
        # Nothing refers to the file if recording it failed.
        (folder(settings) / name).unlink(missing_ok=True)
        raise
    return request


def _record(
    session: Session,
    request: PrivacyRequest,
    *,
    name: str,
    data: bytes,
    kind: str,
    actor: str,
    description: str,
) -> None:
    digest = hashlib.sha256(data).hexdigest()
    request.agent_permission = {
        "file": name,
        "content_type": kind,
        "size": len(data),
        "sha256": digest,
        "description": description,
        "recorded_by": actor,
        "recorded_at": utcnow().isoformat(),
    }
    session.flush()
    audit.record(
        session,
        action="request.agent_permission_attached",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"sha256": digest, "size": len(data), "content_type": kind},
    )
    if request.status == S.awaiting_authorization.value:
        workflow.move(
            session, request, S.verified, actor=actor, action="agent's permission attached"
        )
        carry_out.advance(session, request, actor=actor)


def permission_document(
    session: Session, request_id: str, *, actor: str
) -> tuple[bytes, dict[str, Any]]:
    """The stored permission document and its record; each read is audited."""
    request = repository.get(session, request_id)
    if request is None:
        raise NotFound(f"no privacy request with id {request_id}")
    record = request.agent_permission
    if not record:
        raise NotFound(f"request {request_id} has no agent permission attached")
    path = folder(config.get_settings()) / str(record["file"])
    if not path.is_file():
        raise NotFound(f"the permission document of request {request_id} is no longer kept")
    audit.record(
        session,
        action="request.agent_permission_viewed",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"sha256": record["sha256"]},
    )
    return path.read_bytes(), record


def delete_document(settings: Settings, record: dict[str, Any]) -> None:
    """Remove a stored permission document (on purge)."""
    if record.get("file"):
        (settings.data_dir / FOLDER / str(record["file"])).unlink(missing_ok=True)
