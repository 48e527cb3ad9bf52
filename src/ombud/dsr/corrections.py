"""The corrections of a rectification request: bounded in the API, checked against the data
map at intake and when staff edit them (``ombud.datamap.correctable`` says what may be
corrected)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.datamap import correctable
from ombud.datamap import service as datamap_service
from ombud.errors import Conflict, InvalidInput, NotFound
from ombud.models.requests import PrivacyRequest
from ombud.models.requests import RequestStatus as S

MAX_CORRECTIONS = 50
# One value per key, never a nested document: the queue and the engine read these.
CorrectionValue = (
    Annotated[StrictStr, Field(max_length=correctable.MAX_TEXT)]
    | Annotated[StrictInt, Field(ge=correctable.INT_RANGE[0], le=correctable.INT_RANGE[1])]
    | Annotated[StrictFloat, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]
    | StrictBool
)
Corrections = Annotated[
    dict[Annotated[str, Field(min_length=1, max_length=200)], CorrectionValue],
    Field(max_length=MAX_CORRECTIONS),
]
# Staff may edit the corrections until the request is approved.
EDITABLE = frozenset({S.received, S.awaiting_verification, S.verified})
RECTIFICATION = "rectification"


def _datamap_check(session: Session, corrections: dict[str, Any]) -> dict[str, Any]:
    try:
        datamap = datamap_service.get_current(session)
    except NotFound:
        raise InvalidInput(
            "rectification: no data map is applied, so nothing can be corrected yet"
        ) from None
    return correctable.check(datamap, corrections)


def check_request(
    session: Session, kind: str, corrections: dict[str, Any] | None, *, required: bool
) -> dict[str, Any] | None:
    """The corrections of a new request, checked; ``required`` for the person's own form."""
    if kind != RECTIFICATION:
        if corrections:
            raise InvalidInput(
                f"rectification: corrections belong to rectification requests, not {kind}"
            )
        return None
    if not corrections:
        if required:
            raise InvalidInput(
                "rectification: say what to correct, as {field or category: correct value}"
            )
        return None
    return _datamap_check(session, corrections)


def edit(
    session: Session, request: PrivacyRequest, corrections: dict[str, Any], *, actor: str
) -> PrivacyRequest:
    """Replace the corrections of a rectification request that is not approved yet."""
    if request.type != RECTIFICATION:
        raise Conflict(f"request {request.id} is a {request.type} request; it has no corrections")
    if S(request.status) not in EDITABLE:
        raise Conflict(
            f"cannot edit the corrections of request {request.id}: it is {request.status}; "
            "corrections can be edited until the request is approved"
        )
    if not corrections:
        raise InvalidInput("rectification: give at least one correction")
    checked = _datamap_check(session, corrections)
    before = dict(request.rectification or {})
    request.rectification = checked
    session.flush()
    # Keys only: the values are personal data and the audit log outlives the request.
    audit.record(
        session,
        action="request.rectification_edited",
        actor=actor,
        subject_type="privacy_request",
        subject_id=request.id,
        data={
            "added": sorted(set(checked) - set(before)),
            "removed": sorted(set(before) - set(checked)),
            "changed": sorted(k for k in set(checked) & set(before) if checked[k] != before[k]),
        },
    )
    return request


def check_ready(request: PrivacyRequest) -> None:
    """A rectification request is approved only with something to correct."""
    if request.type == RECTIFICATION and not request.rectification:
        raise Conflict(
            f"request {request.id} says nothing to correct yet; add the corrections "
            f"(PATCH /api/v1/requests/{request.id}/rectification) before approving it"
        )
