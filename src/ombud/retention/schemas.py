"""Retention API bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field


class StepOut(BaseModel):
    """One collection of one rule, as it stands now (the dry run)."""

    rule: str
    rule_name: str
    collection: str
    action: str = Field(description="delete, anonymise or report")
    period: str | None
    counts_from: str = Field(description="the timestamp the period counts from")
    rows: int | None
    past_period: int | None
    no_timestamp: int | None = Field(description="rows without a timestamp: kept and reported")
    held: dict[str, int] = Field(description="past rows each legal hold keeps")
    held_by: str | None = Field(description="a hold that keeps every row of the collection")
    still_referenced: int | None = Field(description="past rows other rows still refer to")
    to_change: int | None
    oldest_age_days: int | None
    masks: list[str]
    problem: str | None = Field(description="why the step cannot run, if it cannot")


class PlanOut(BaseModel):
    """The retention plan; nothing was changed."""

    steps: list[StepOut]


class RunIn(BaseModel):
    """Which rule to apply (all when absent) and the batch size."""

    rule: str | None = Field(default=None, max_length=200)
    batch: int = Field(default=50_000, ge=1, le=1_000_000)


class RuleOutcomeOut(BaseModel):
    """What one rule's run did."""

    rule: str
    status: str = Field(description="completed, skipped (another runner has it) or failed")
    run_id: str | None
    changed: dict[str, int]
    error: str


class RunOut(BaseModel):
    """Every rule's outcome."""

    rules: list[RuleOutcomeOut]


class StatusOut(BaseModel):
    """Per rule: the last run and whether one is overdue."""

    rule: str
    last_run: str | None
    last_status: str | None
    last_completed: str | None
    changed: dict[str, int]
    enforced: bool = Field(description="false when the rule changes nothing in the databases")
    note: str = Field(description="why a rule is not enforced")
    overdue: bool
    error: str
