"""What the staff execution API returns: a request's preview and the outcome of running it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ValueChange(BaseModel):
    """One value a rectification would change."""

    key: Any = Field(description="the row's key (a value of the line's key column)")
    field: str
    old: Any
    new: Any


class PreviewLine(BaseModel):
    """One collection of a dry run: which rows, which fields, what action."""

    collection: str
    action: str = Field(description="export, mask, delete or rectify")
    rows: int
    key: str = Field(description="the column the row keys are values of")
    keys: list[Any]
    fields: list[str]
    kept: list[str] = Field(description="fields a legal hold or retention rule keeps")
    changes: list[ValueChange] = Field(
        default=[], description="rectification: every value that would change, old -> new"
    )
    not_changed: list[dict[str, Any]] = Field(
        default=[],
        description="rectification: fields asked for but left as they are, with the reason",
    )


class RequestPreview(BaseModel):
    """A dry run of a request: what it would export or change; nothing was changed."""

    request_id: str
    type: str
    status: str
    lines: list[PreviewLine]
    unreachable: list[dict[str, str]]
    unwritable: list[str] = Field(
        default=[],
        description="erasure strategies a column cannot take: running would be refused",
    )


class RunResult(BaseModel):
    """What running a request did; ``result`` is the summary kept on the request."""

    request_id: str
    status: str
    message: str
    result: dict[str, Any] | None
