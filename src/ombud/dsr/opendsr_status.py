"""OpenDSR 2.0 status of a request: the mapping, the body, shared by the status endpoint and
the status callbacks (``ombud.webhooks.opendsr``)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from ombud import config
from ombud.dsr import letters
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S

API_VERSION = "2.0"
SOURCE = "opendsr"

# Ombud status -> OpenDSR status. Denied maps to cancelled: the request will not be carried out.
STATUS_MAP: dict[S, str] = {
    S.received: "pending",
    S.awaiting_verification: "pending",
    S.awaiting_authorization: "pending",
    S.verified: "pending",
    S.approved: "pending",
    S.in_progress: "in_progress",
    S.failed: "in_progress",
    S.completed: "completed",
    S.denied: "cancelled",
    S.cancelled: "cancelled",
}


class OpenDsrStatus(BaseModel):
    controller_id: str
    subject_request_id: str
    request_status: str
    received_time: datetime
    expected_completion_time: datetime | None
    api_version: str = API_VERSION
    results_url: str | None = None
    extensions: dict[str, Any] = {}


def status_of(session: Session, row: PrivacyRequest) -> OpenDsrStatus:
    """The OpenDSR status of a request, as the status endpoint and callbacks send it."""
    due = row.extended_due_on or row.due_on
    result = row.result or {}
    return OpenDsrStatus(
        controller_id=letters.organization(session).name,
        subject_request_id=row.external_id or row.id,
        request_status=STATUS_MAP[S(row.status)],
        received_time=row.received_at,
        expected_completion_time=datetime.combine(due, time(23, 59, 59), UTC) if due else None,
        # The staff download (needs a privacy_officer token), never the person's own link.
        results_url=(
            f"{config.get_settings().base_url.rstrip('/')}/api/v1/requests/{row.id}/package"
            if result.get("export_id")
            else None
        ),
        extensions={"ombud": {"id": row.id, "status": row.status}},
    )
