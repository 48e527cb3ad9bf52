"""OpenDSR 2.0 (formerly OpenGDPR): a controller's system forwards requests here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.db import DbSession
from ombud.deps import IdPath, OfficerStaff, SettingsDep, ViewerStaff
from ombud.dsr import repository, service
from ombud.dsr.opendsr_status import API_VERSION, STATUS_MAP, OpenDsrStatus
from ombud.dsr.opendsr_status import status_of as _status
from ombud.dsr.schemas_intake import PrivacyRequestCreate
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.jsonlimits import BoundedObject
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S
from ombud.webhooks import opendsr as opendsr_signing

SOURCE = "opendsr"
SUPPORTED_TYPES = ("access", "portability", "erasure")
REGULATIONS = {"gdpr": "gdpr", "ccpa": "ccpa"}

router = APIRouter(prefix="/opendsr", tags=["opendsr"])


class SubjectIdentity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    identity_type: str = Field(min_length=1, max_length=64)
    identity_value: str = Field(min_length=1, max_length=320)
    identity_format: Literal["raw", "sha1", "md5", "sha256"] = "raw"


class OpenDsrRequestCreate(BaseModel):
    """An OpenDSR request body; unknown keys are ignored for forward compatibility."""

    model_config = ConfigDict(extra="ignore")

    subject_request_id: UUID
    subject_request_type: Literal["access", "portability", "erasure"]
    submitted_time: datetime
    subject_identities: list[SubjectIdentity] = Field(min_length=1, max_length=20)
    regulation: Literal["gdpr", "ccpa"] = "gdpr"
    status_callback_urls: list[str] = []
    extensions: BoundedObject | None = None
    api_version: str | None = None


def _email(body: OpenDsrRequestCreate) -> str:
    for identity in body.subject_identities:
        if identity.identity_type == "email" and identity.identity_format == "raw":
            return identity.identity_value
    raise InvalidInput(
        "subject_identities: Ombud needs an email identity in raw format to confirm the "
        "request with the person"
    )


def _find(session: Session, subject_request_id: str) -> PrivacyRequest:
    row = repository.get_external(session, source=SOURCE, external_id=subject_request_id.lower())
    if row is None:
        raise NotFound(f"no OpenDSR request with subject_request_id {subject_request_id}")
    return row


@router.get("/discovery")
def discovery(request: Request, settings: SettingsDep) -> dict[str, Any]:
    """What this endpoint supports."""
    return {
        "api_version": API_VERSION,
        "supported_identities": [{"identity_type": "email", "identity_format": "raw"}],
        "supported_subject_request_types": list(SUPPORTED_TYPES),
        "supported_regulations": list(REGULATIONS),
        # Callbacks are signed with the processor's key (ombud.webhooks.opendsr).
        "supported_status_callback": opendsr_signing.enabled(settings),
        "processor_certificate": settings.opendsr_certificate_url or None,
    }


@router.post("/requests", status_code=201, response_model=OpenDsrStatus)
def create(body: OpenDsrRequestCreate, session: DbSession, token: OfficerStaff) -> OpenDsrStatus:
    """Accept a forwarded request; the person still confirms it by emailed code."""
    external_id = str(body.subject_request_id).lower()
    if repository.get_external(session, source=SOURCE, external_id=external_id) is not None:
        raise Conflict(f"subject_request_id {external_id} was already submitted")
    email = _email(body)
    # The email is confirmed by code; every other identity is only a hint for staff.
    others = [
        {"type": i.identity_type, "value": i.identity_value, "format": i.identity_format}
        for i in body.subject_identities
        if not (i.identity_type == "email" and i.identity_value == email)
    ]
    data = PrivacyRequestCreate.model_validate(
        {
            "type": body.subject_request_type,
            "email": email,
            "jurisdiction": REGULATIONS[body.regulation],
        }
    )
    # Deadlines run from when Ombud received the request: a forwarded submitted_time (which
    # the caller controls) could otherwise shorten them. It is kept in the audit log.
    submitted = body.submitted_time
    received = utcnow()
    row = service.submit(
        session,
        data=data,
        source=SOURCE,
        actor=token.user.email,
        external_id=external_id,
        callback_urls=body.status_callback_urls or None,
        received_at=received,
        extra_hints=others,
    )
    audit.record(
        session,
        action="opendsr.submitted_time",
        actor=token.user.email,
        subject_type="privacy_request",
        subject_id=row.id,
        data={"submitted_time": submitted.isoformat()},
    )
    return _status(session, row)


@router.get("/requests/{subject_request_id}", response_model=OpenDsrStatus)
def status(subject_request_id: IdPath, session: DbSession, _token: ViewerStaff) -> OpenDsrStatus:
    """The status of a forwarded request."""
    return _status(session, _find(session, subject_request_id))


@router.delete("/requests/{subject_request_id}", response_model=OpenDsrStatus)
def cancel(subject_request_id: IdPath, session: DbSession, token: OfficerStaff) -> OpenDsrStatus:
    """Cancel a forwarded request, only while it is pending."""
    row = _find(session, subject_request_id)
    if STATUS_MAP[S(row.status)] != "pending":
        raise Conflict(
            f"OpenDSR request {subject_request_id} is {STATUS_MAP[S(row.status)]}; only "
            "pending requests can be cancelled"
        )
    row = service.cancel(
        session, row.id, actor=token.user.email, reason="cancelled by the forwarding system"
    )
    return _status(session, row)
