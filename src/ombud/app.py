"""``create_app()``: the FastAPI application with its API, OpenDSR and web routers."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ombud import __version__, keys, logs
from ombud.config import Settings, get_settings
from ombud.db import make_engine, session_factory
from ombud.errors import document_errors, install_error_handlers
from ombud.inputguard import InputGuard
from ombud.web.headers import SecurityHeadersMiddleware

# Each module exposes ``routers: list[APIRouter]``; order matters only for overlapping paths.
ROUTER_MODULES = (
    "ombud.health",
    "ombud.staff.endpoints",
    "ombud.notify.endpoints",
    "ombud.datamap.endpoints",
    "ombud.audit.endpoints",
    "ombud.dsr.endpoints",
    "ombud.execution.endpoints",
    "ombud.execution.unlock",
    "ombud.consent.endpoints",
    "ombud.consent.banner_endpoints",
    "ombud.notices.endpoints",
    "ombud.retention.endpoints",
    "ombud.console.endpoints",
    "ombud.web.endpoints",
    "ombud.web.docs",
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
        housekeeper = None
        if settings.housekeeping_interval_seconds > 0:
            from ombud.housekeeping import Housekeeper

            housekeeper = Housekeeper(engine, settings)
            housekeeper.start()
        yield
        if housekeeper is not None:
            housekeeper.stop()
        scheduler.stop()
        if runner is not None:
            runner.stop()
        engine.dispose()

    app = FastAPI(
        title="Ombud",
        version=__version__,
        description="Self-hosted privacy operations: the system behind a privacy statement.",
        lifespan=lifespan,
        # Served by ombud.web.docs with Ombud's own copies of the assets (no CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    install_error_handlers(app)
    app.add_middleware(InputGuard)
    logs.install_access_log_filter()
    if settings.trusted_proxies:
        # Client IPs (consent records, rate limits) come from X-Forwarded-For, but only when
        # the connection comes from one of these proxies: anyone else could forge the header.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    # Added last, so it is the outermost: error pages and proxy-fixed requests get it too.
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
    for router in collect_routers():
        document_errors(router)
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
