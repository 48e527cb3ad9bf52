"""Request and response shapes of the consent API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DecisionKind(StrEnum):
    granted = "granted"
    refused = "refused"
    withdrawn = "withdrawn"


class Method(StrEnum):
    web_form = "web_form"
    preference_center = "preference_center"
    api = "api"
    email_link = "email_link"
    banner = "banner"
    gpc = "gpc"
    import_ = "import"
    # A privacy request (withdraw_consent, objection, opt-outs); evidence names its id.
    request = "request"


class SubjectKind(StrEnum):
    email = "email"
    account = "account"
    device = "device"


class SubjectRef(BaseModel):
    """Exactly one identity of a person: email, account id or anonymous device id."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=320)
    account_id: str | None = Field(default=None, max_length=200)
    device_id: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _exactly_one(self) -> SubjectRef:
        given = [v for v in (self.email, self.account_id, self.device_id) if v]
        if len(given) != 1:
            raise ValueError("give exactly one of email, account_id or device_id")
        return self


class DecisionCreate(SubjectRef):
    """One decision to record; ``notice_version`` defaults to the current notice."""

    purpose: str = Field(min_length=1, max_length=200)
    decision: DecisionKind
    method: Method = Method.api
    notice_version: int | None = Field(default=None, ge=1)
    jurisdiction: str | None = Field(default=None, max_length=32)
    source_url: str = Field(default="", max_length=2000)
    user_agent: str | None = Field(default=None, max_length=500)
    ip: str | None = Field(default=None, max_length=64)


class DecisionBulkCreate(BaseModel):
    """Up to 10,000 decisions recorded all together or not at all."""

    model_config = ConfigDict(extra="forbid")

    decisions: list[DecisionCreate] = Field(min_length=1, max_length=10_000)


class Decision(BaseModel):
    """A recorded decision as staff see it (the controller's record)."""

    receipt_id: str
    subject_kind: str
    subject: str | None
    purpose: str
    decision: str
    method: str
    notice_version: int
    notice_hash: str
    jurisdiction: str
    recorded_at: datetime
    source_url: str
    user_agent: str | None
    ip: str | None
    actor: str
    evidence: dict[str, Any]
    erased: bool


class DecisionList(BaseModel):
    items: list[Decision]


class BulkRecorded(BaseModel):
    count: int
    receipt_ids: list[str]


class State(BaseModel):
    """Current decision of one subject for one purpose."""

    purpose: str
    decision: str
    method: str
    updated_at: datetime
    receipt_id: str


class StateList(BaseModel):
    items: list[State]


class BulkCheckCreate(BaseModel):
    """Which of these identities may be contacted for ``purpose``?"""

    model_config = ConfigDict(extra="forbid")

    purpose: str = Field(min_length=1, max_length=200)
    identity_type: SubjectKind = SubjectKind.email
    identities: list[str] = Field(min_length=1, max_length=100_000)


class BulkCheck(BaseModel):
    purpose: str
    checked: int
    contactable: list[str]
    not_contactable: int
    restricted: list[str] = Field(
        default=[],
        description="identities whose processing is restricted (GDPR Art. 18): store only, "
        "use for nothing else without their consent",
    )


class Purpose(BaseModel):
    """A consentable purpose with its current notice."""

    key: str
    title: str
    kind: str
    data_use: str
    double_opt_in: bool
    gpc_applies: bool
    notice_version: int
    notice_hash: str
    notice_text: str


class PurposeList(BaseModel):
    items: list[Purpose]
