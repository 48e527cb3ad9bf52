"""``/healthz``: the process is up and the store answers; ``/api/v1/metrics``: counters staff
watch (429 answers of the public forms, complaints open and overdue, CPU per phase of the
request path)."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from ombud import __version__, phases, ratelimit
from ombud.complaints import service as complaints
from ombud.db import DbSession
from ombud.deps import SettingsDep, ViewerStaff

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: DbSession, settings: SettingsDep, detail: bool = False) -> dict[str, str]:
    """Report that the server runs and its store answers; ``?detail=true`` adds whether the
    published privacy statement still says what the data map says."""
    session.execute(text("SELECT 1"))
    out = {"status": "ok", "version": __version__}
    if detail:
        from ombud.notices.check import statement_health

        out["statement"] = statement_health(session, settings)
    return out


class RateLimitedCount(BaseModel):
    total: int = Field(description="429 answers of the public forms and APIs")
    by_scope: dict[str, int] = Field(
        description="per action: intake, verify, resend, preference_code, preference_verify, "
        "subscribe, complaint"
    )
    shared: bool = Field(description="true: counted in Redis by every worker; false: this process")


class ComplaintCounts(BaseModel):
    received: int = Field(description="complaints ever received (purged ones included)")
    open: int = Field(description="not answered yet")
    overdue: int = Field(description="open past their deadline")
    answered: int
    answered_late: int = Field(description="answered after their deadline")
    by_about: dict[str, int] = Field(description="per subject: request, processing, general")


class PhaseTime(BaseModel):
    requests: int = Field(description="requests that went through the phase")
    cpu_seconds: float = Field(description="CPU time of the threads running it")


class Metrics(BaseModel):
    rate_limited: RateLimitedCount
    complaints: ComplaintCounts
    request_path: dict[str, PhaseTime] = Field(
        description="this process only, since it started: CPU per phase of the request path "
        "(intake, verification, approval, claim, execution, package, completion, letter, mail)"
    )
    process: int = Field(
        description="id of the process that answered, whose request_path this is (behind "
        "one address, ask on new connections until every process has answered)"
    )


@router.get("/api/v1/metrics", response_model=Metrics)
def metrics(request: Request, session: DbSession, _staff: ViewerStaff) -> Metrics:
    """Counters for staff: public actions refused with 429 (too many), and complaints."""
    limiter = ratelimit.limiter_for(request)
    counts = limiter.refusals()
    return Metrics(
        rate_limited=RateLimitedCount(
            total=sum(counts.values()),
            by_scope=counts,
            shared=isinstance(limiter, ratelimit.RedisLimiter),
        ),
        complaints=ComplaintCounts.model_validate(complaints.metrics(session)),
        request_path={k: PhaseTime.model_validate(v) for k, v in phases.snapshot().items()},
        process=os.getpid(),
    )


routers = [router]
