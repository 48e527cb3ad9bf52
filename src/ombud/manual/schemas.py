"""Manual tasks as the staff API shows them (identities never: they are on the owner's page)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class FileInfo(BaseModel):
    name: str
    size: int
    sha256: str


class Task(BaseModel):
    """One manual task."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    request_id: str
    system_kind: str
    system_key: str
    system_name: str
    owner: str
    action: str
    due_on: date | None
    status: str
    reason: str | None
    note: str | None
    upload: FileInfo | None
    created_at: datetime
    closed_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None


class TaskList(BaseModel):
    items: list[Task]
    open: int
