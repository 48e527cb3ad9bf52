"""API shapes of complaints: what the person sends, what staff see and send."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ombud.dsr import wording
from ombud.dsr.schemas_intake import Email
from ombud.models.complaints import ComplaintAbout

TEXT_LIMIT = 10_000
ANSWER_LIMIT = 20_000


class ComplaintCreate(BaseModel):
    """A complaint as the person submits it."""

    model_config = ConfigDict(extra="forbid")

    about: ComplaintAbout = Field(
        description="request (name its reference), processing (name a purpose) or general"
    )
    email: Email = Field(description="the person's email; the acknowledgement goes here")
    name: str = Field(default="", max_length=200)
    text: str = Field(min_length=1, max_length=TEXT_LIMIT, description="the complaint")
    request: str | None = Field(
        default=None,
        max_length=100,
        validate_default=True,
        description="reference (id) of the request complained about",
    )
    purpose: str | None = Field(
        default=None,
        max_length=200,
        validate_default=True,
        description="data use of the data map complained about (GET /api/v1/complaints/purposes)",
    )
    jurisdiction: str | None = Field(default=None, max_length=32)
    country: str | None = Field(default=None, max_length=8, description="ISO 3166 code, e.g. DE")
    language: str | None = Field(default=None, max_length=16, description="en or de")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("write what the complaint is about")
        return value.strip()

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str | None) -> str | None:
        return wording.check_language(value) if value else None

    # Checked on the field itself (even when left out), so the error names it.
    @field_validator("request", mode="after")
    @classmethod
    def _request_named(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("about") is ComplaintAbout.request and not (value or "").strip():
            raise ValueError("give the reference of the request the complaint is about")
        return value

    @field_validator("purpose", mode="after")
    @classmethod
    def _purpose_named(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("about") is ComplaintAbout.processing and not (value or "").strip():
            raise ValueError("choose the processing the complaint is about")
        return value


class ComplaintReceipt(BaseModel):
    """What the person gets back."""

    id: str
    reference: str
    status: str
    due_on: date
    message: str


class Purpose(BaseModel):
    """A processing a complaint may name."""

    key: str
    label: str


class Note(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    author: str
    text: str
    created_at: datetime


class ComplaintOut(BaseModel):
    """A complaint as staff see it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    reference: str
    status: str
    about: str
    request_id: str | None
    purpose: str | None
    jurisdiction: str
    language: str | None
    email: str | None
    name: str
    text: str
    source: str
    received_at: datetime
    due_on: date
    acknowledged_at: datetime | None
    assignee: str | None
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    overdue: bool = False


class ComplaintDetail(ComplaintOut):
    notes: list[Note] = []


class ComplaintList(BaseModel):
    items: list[ComplaintOut]
    total: int


class Assign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: str = Field(min_length=1, max_length=320, description="the staff member's email")


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=TEXT_LIMIT)


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=ANSWER_LIMIT, description="the answer letter's body")
