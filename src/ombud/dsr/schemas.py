"""What the request API returns to staff, and the bodies of staff decisions and bulk calls."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ombud.dsr.corrections import Corrections


class Message(BaseModel):
    """A letter sent to the person, as kept (codes withheld)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    to: str
    subject: str
    body: str
    sent_at: datetime


class Note(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    author: str
    text: str
    created_at: datetime


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=5000)


class Reason(BaseModel):
    """Body of deny, extend and cancel: a reason the person is told."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=5000)


class Assignment(BaseModel):
    """Body of assign: a staff member's email, or null for nobody; a reason kept as a note."""

    model_config = ConfigDict(extra="forbid")

    assignee: str | None = Field(default=None, max_length=320)
    reason: str = Field(default="", max_length=5000)


class OptionalNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=5000)


class IdentityHint(BaseModel):
    """An identity the requester gave that seeds nothing until staff accept it."""

    id: str
    type: str = Field(description="phone, account_id, or the identity type a system sent")
    value: str
    format: str = Field(description="raw, or the hash a forwarding system sent (sha256, ...)")
    source: str = Field(description="web, api, opendsr, agent, or migrated")
    status: str = Field(description="pending, accepted or rejected")
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    proof: str | None = None


class HintAccept(BaseModel):
    """Why staff let a hint seed the search, and the proof they saw (not the value itself)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=3, max_length=2000)
    proof: str = Field(
        min_length=3,
        max_length=2000,
        description="what showed the identity belongs to the person, e.g. 'customer card, "
        "photo sent by email on 3 March, name and address match the account'",
    )


class AgentPermission(BaseModel):
    """The agent's written permission as kept (the document itself is downloaded apart)."""

    content_type: str
    size: int
    sha256: str
    description: str
    recorded_by: str
    recorded_at: datetime


class Approval(BaseModel):
    """One staff approval of a request."""

    by: str
    at: datetime


class PrivacyRequest(BaseModel):
    """A request as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    type: str
    status: str
    jurisdiction: str
    email: str | None
    identities: dict[str, str] = Field(
        description="verified identities, the only ones that seed the search"
    )
    identity_hints: list[IdentityHint] = Field(
        default=[], description="unverified identities; used only once staff accept one"
    )
    details: str
    rectification: dict[str, Any] | None
    purposes: list[str] | None = None
    agent: dict[str, Any] | None
    agent_permission: AgentPermission | None = None
    source: str
    external_id: str | None
    received_at: datetime
    due_on: date | None
    extended_due_on: date | None
    extension_reason: str | None
    acknowledge_by: date | None
    paused_at: datetime | None
    paused_days: int
    verified_at: datetime | None
    decided_at: datetime | None
    closed_at: datetime | None
    denial_reason: str | None
    result: dict[str, Any] | None
    package_encryption: str | None = Field(
        default=None, description="age_recipient or passphrase when the package is encrypted"
    )
    package_recipient: str | None = None
    language: str | None = None
    assignee_id: str | None = Field(default=None, description="id of the staff member assigned")
    approval_policy: str = Field(
        default="one",
        description="approvals the data map's rule asks for: auto, one or two (distinct staff)",
    )
    approval_rule: str = Field(
        default="", description="where the rule was written, e.g. gdpr.types.access.approval"
    )
    approvals: list[Approval] = Field(default=[], description="staff approvals given so far")
    deadline: date | None = None
    overdue: bool = False
    due_soon: bool = False

    @field_validator("result")
    @classmethod
    def _no_person_link(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        # Requests completed before links were kept out of results still hold one.
        if value and "download_url" in value:
            return {k: v for k, v in value.items() if k != "download_url"}
        return value


class CorrectionsEdit(BaseModel):
    """Body of the staff edit of a rectification request's corrections."""

    model_config = ConfigDict(extra="forbid")

    rectification: Corrections = Field(
        description="the corrections in full: {collection.field or data category: value}"
    )


class CorrectableOption(BaseModel):
    """One field or data category people may ask to correct."""

    key: str
    label: str
    kind: str = Field(description="field or category")
    hint: str


class PrivacyRequestDetail(PrivacyRequest):
    messages: list[Message] = []
    notes: list[Note] = []


class PrivacyRequestList(BaseModel):
    items: list[PrivacyRequest]


# ---------------------------------------------------------------- bulk (staff)
BULK_MAX_ITEMS = 500


class BulkCreate(BaseModel):
    """Many requests in one call; each item is checked and recorded on its own."""

    model_config = ConfigDict(extra="forbid")

    items: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=BULK_MAX_ITEMS,
        description="requests as for POST /api/v1/requests, plus identity_verified and "
        "verification_note",
    )


class BulkApprove(BaseModel):
    """Requests to approve together."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Annotated[str, Field(min_length=1, max_length=36)]] = Field(
        min_length=1, max_length=BULK_MAX_ITEMS
    )
    note: str = Field(default="", max_length=5000)


class BulkItemResult(BaseModel):
    """One item's outcome: its request (id, status) or why it was refused."""

    index: int
    id: str | None = None
    status: str | None = None
    error: str | None = None
    code: str | None = None
    detail: Any = None


class BulkResult(BaseModel):
    """Per-item outcomes, in the order given; refused items changed nothing."""

    done: int
    refused: int
    items: list[BulkItemResult]


class ObjectionDecision(BaseModel):
    """Staff's decision on one purpose of an objection."""

    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=1, max_length=200)
    uphold: bool = Field(description="true: processing stops; false: it continues (overridden)")
    reason: str = Field(
        default="",
        max_length=5000,
        description="required when overriding: the compelling legitimate grounds (Art. 21(1)), "
        "told to the person",
    )


class ObjectionDecisions(BaseModel):
    """Body of ``POST /api/v1/requests/{id}/objection``: every pending purpose decided."""

    model_config = ConfigDict(extra="forbid")

    decisions: list[ObjectionDecision] = Field(min_length=1, max_length=200)


class DoneByHand(BaseModel):
    """Body of ``POST /api/v1/requests/{id}/done``."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field(
        min_length=3,
        max_length=5000,
        description="what was done by hand; the completion letter quotes it to the person",
    )
