"""Bodies of the notification settings API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Notifications(BaseModel):
    """Whether the staff member gets mail about verified requests and the daily digest."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="false turns both mails off")
