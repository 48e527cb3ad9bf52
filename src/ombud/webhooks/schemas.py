"""Webhook endpoints and deliveries as the staff API shows them (secrets shown once)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class EndpointCreate(BaseModel):
    """A receiver to register; without a secret Ombud makes one."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2000)
    events: list[str] = Field(default=[], max_length=20, description="[] means every event")
    description: str = Field(default="", max_length=300)
    secret: str | None = Field(default=None, min_length=24, max_length=200)


class Endpoint(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    url: str
    events: list[str]
    description: str
    active: bool
    created_by: str
    created_at: datetime


class EndpointCreated(Endpoint):
    secret: str = Field(description="sign checks use it; shown only now")


class Delivery(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    endpoint_id: str | None
    url: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
