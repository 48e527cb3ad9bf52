"""``create_app()``: the FastAPI application with its API, OpenDSR and web routers."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ombud import __version__, keys
from ombud.config import Settings, get_settings
from ombud.db import make_engine, session_factory
from ombud.errors import install_error_handlers

# Each module exposes ``routers: list[APIRouter]``; order matters only for overlapping paths.
ROUTER_MODULES = (
    "ombud.health",
    "ombud.staff.endpoints",
    "ombud.datamap.endpoints",
    "ombud.audit.endpoints",
    "ombud.dsr.endpoints",
    "ombud.execution.endpoints",
    "ombud.execution.unlock",
    "ombud.consent.endpoints",
    "ombud.notices.endpoints",
    "ombud.retention.endpoints",
    "ombud.web.endpoints",
)

STATIC_DIR = Path(__file__).parent / "web" / "static"


def collect_routers() -> list[APIRouter]:
    """Import every domain's routers."""
    routers: list[APIRouter] = []
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        routers.extend(getattr(module, "routers", []))
    return routers


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (default: read from the environment)."""
    settings = settings or get_settings()
    keys.require(settings)  # no server without a strong OMBUD_SECRET_KEY
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = None
        if settings.execute_in_server:
            from ombud.execution.worker import BackgroundRunner

            runner = BackgroundRunner(engine, settings)
            runner.start()
        app.state.execution_runner = runner
        from ombud.retention.tasks import RetentionScheduler

        scheduler = RetentionScheduler(engine, settings)
        scheduler.start()
        yield
        scheduler.stop()
        if runner is not None:
            runner.stop()
        engine.dispose()

    app = FastAPI(
        title="Ombud",
        version=__version__,
        description="Self-hosted privacy operations: the system behind a privacy statement.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    install_error_handlers(app)
    if settings.trusted_proxies:
        # Client IPs (consent records, rate limits) come from X-Forwarded-For, but only when
        # the connection comes from one of these proxies: anyone else could forge the header.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    for router in collect_routers():
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
