"""Public endpoints of the cookie banner: its script and style, its JSON config and the
decision it records; CORS for exactly the allowed site origins."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ombud import ratelimit
from ombud.config import Settings
from ombud.consent import banner, gpc, ledger
from ombud.consent.batcher import batcher_for
from ombud.consent.ledger import Context, Entry
from ombud.consent.purposes import MapInfo
from ombud.db import DbSession
from ombud.deps import SettingsDep
from ombud.errors import Forbidden, InvalidInput

router = APIRouter(include_in_schema=False)

STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
ASSETS = {"consent.js": "text/javascript; charset=utf-8", "consent.css": "text/css; charset=utf-8"}


class DecisionIn(BaseModel):
    """What the banner script sends after a choice."""

    model_config = ConfigDict(extra="forbid")

    device_id: str = Field(max_length=64)
    choices: dict[str, bool] = Field(max_length=20)
    notice_hash: str = Field(max_length=64)
    page: str = Field(default="", max_length=2000)
    gpc: bool = False


class Receipt(BaseModel):
    category: str
    decision: str
    receipt_id: str


class DecisionOut(BaseModel):
    """The first receipt id (the choice's proof) and one per category."""

    receipt_id: str | None
    receipts: list[Receipt]


def _cors(request: Request, session: Session, settings: Settings) -> dict[str, str]:
    origin = request.headers.get("origin", "")
    if not origin or banner.origin_of(origin) not in banner.allowed_origins(session, settings):
        return {"Vary": "Origin"}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET, POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def _asset(name: str) -> Response:
    body = (STATIC / name).read_bytes()
    headers = {
        "Cache-Control": "public, max-age=600",
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type=ASSETS[name], headers=headers)


@router.get("/privacy/consent.js")
def consent_js() -> Response:
    """The banner script a company's website loads with one tag."""
    return _asset("consent.js")


@router.get("/privacy/consent.css")
def consent_css() -> Response:
    """The banner's style sheet (loaded by the script)."""
    return _asset("consent.css")


@router.get("/privacy/consent/config")
def banner_config(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    lang: Annotated[str, Query(max_length=100)] = "",
) -> JSONResponse:
    """Categories, cookies, texts and the cookie notice version the banner shows."""
    present, _header = gpc.signal_present(request.headers, settings)
    wanted = lang or request.headers.get("accept-language", "")
    body = banner.config(session, settings, lang=wanted, gpc=present)
    headers = _cors(request, session, settings) | {"Cache-Control": "no-store"}
    return JSONResponse(body, headers=headers)


@router.options("/privacy/consent/decision")
@router.options("/privacy/consent/config")
def preflight(request: Request, session: DbSession, settings: SettingsDep) -> Response:
    """CORS preflight: allowed only for the configured site origins."""
    return Response(status_code=204, headers=_cors(request, session, settings))


def _context(request: Request, page: str) -> Context:
    # The full address: the ledger truncates it where it is stored.
    ip = request.client.host if request.client else None
    try:
        kept = ip if ledger.check_ip(ip) else None
    except InvalidInput:
        kept = None  # test clients and unix sockets have no IP address
    return Context(
        source_url=page or request.headers.get("referer", "")[:2000],
        user_agent=request.headers.get("user-agent", "")[:500] or None,
        ip=kept,
    )


@router.post("/privacy/consent/decision", response_model=DecisionOut)
async def banner_decision(
    body: DecisionIn, request: Request, settings: SettingsDep
) -> JSONResponse:
    """Record the visitor's choice for their device id; the receipt id comes back."""
    # One click, one decision: committed with the others arriving meanwhile (batcher.py).
    if settings.redis_url:  # a network round trip: not on the event loop
        await run_in_threadpool(ratelimit.check_banner, request, device_id=body.device_id)
    else:
        ratelimit.check_banner(request, device_id=body.device_id)
    present, _header = gpc.signal_present(request.headers, settings)
    choice = banner.Choice(
        device_id=body.device_id,
        choices=body.choices,
        notice_hash=body.notice_hash,
        page=body.page,
        gpc=body.gpc or present,
    )
    context = _context(request, body.page)
    headers: dict[str, str] = {}
    entries: list[Entry] = []

    def prepare(session: Session, _info: MapInfo) -> list[Entry]:
        headers.update(_cors(request, session, settings))
        origin = request.headers.get("origin")
        if origin and "Access-Control-Allow-Origin" not in headers:
            raise Forbidden(
                f"origin: '{origin[:200]}' may not record cookie choices; add it to "
                "OMBUD_BANNER_ORIGINS"
            )
        entries[:] = banner.choice_entries(session, settings, choice, context)
        return entries

    written = await batcher_for(request).submit(prepare)
    receipts = banner.receipts_of(entries, written)
    out = DecisionOut(
        receipt_id=receipts[0]["receipt_id"] if receipts else None,
        receipts=[Receipt(**r) for r in receipts],
    )
    return JSONResponse(out.model_dump(), status_code=201, headers=headers)


routers = [router]
