"""``/healthz``: the process is up and the store answers; ``/api/v1/metrics``: counters staff
watch (429 answers of the public forms)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from ombud import __version__, ratelimit
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
        "subscribe"
    )
    shared: bool = Field(description="true: counted in Redis by every worker; false: this process")


class Metrics(BaseModel):
    rate_limited: RateLimitedCount


@router.get("/api/v1/metrics", response_model=Metrics)
def metrics(request: Request, _staff: ViewerStaff) -> Metrics:
    """Counters for staff: how many public actions were refused with 429 (too many)."""
    limiter = ratelimit.limiter_for(request)
    counts = limiter.refusals()
    return Metrics(
        rate_limited=RateLimitedCount(
            total=sum(counts.values()),
            by_scope=counts,
            shared=isinstance(limiter, ratelimit.RedisLimiter),
        )
    )


routers = [router]
