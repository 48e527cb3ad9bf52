"""``/api/v1/audit``: staff read the log about a subject and check the chain."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from ombud.audit import repository, service
from ombud.db import DbSession
from ombud.deps import ViewerStaff

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class AuditEntryList(BaseModel):
    items: list[AuditEntry]


class AuditVerification(BaseModel):
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str


@router.get("", response_model=AuditEntryList)
def list_entries(
    session: DbSession,
    _token: ViewerStaff,
    subject_id: Annotated[str, Query(description="e.g. a request id")],
    subject_type: Annotated[str, Query()] = "privacy_request",
) -> AuditEntryList:
    """Entries about one subject, oldest first."""
    rows = repository.for_subject(session, subject_type=subject_type, subject_id=subject_id)
    return AuditEntryList(items=[AuditEntry.model_validate(r) for r in rows])


@router.get("/verify", response_model=AuditVerification)
def verify(session: DbSession, _token: ViewerStaff) -> AuditVerification:
    """Walk the chain and report the first broken entry, if any."""
    result = service.verify(session)
    return AuditVerification(
        ok=result.ok, checked=result.checked, broken_seq=result.broken_seq, reason=result.reason
    )


routers = [router]
