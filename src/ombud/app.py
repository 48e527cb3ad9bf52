"""``create_app()``: the FastAPI application with its API, OpenDSR and web routers."""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ombud import __version__, heap, keys, logs
from ombud.config import Settings, get_settings
from ombud.consent.fastpath import DecisionFastPath
from ombud.db import make_engine, session_factory
from ombud.errors import document_errors, install_error_handlers
from ombud.inputguard import InputGuard
from ombud.web.headers import SecurityHeadersMiddleware
from ombud.web.language import LanguageMiddleware

# Each module exposes ``routers: list[APIRouter]``; order matters only for overlapping paths.
ROUTER_MODULES = (
    "ombud.health",
    "ombud.staff.endpoints",
    "ombud.notify.endpoints",
    "ombud.datamap.endpoints",
    "ombud.audit.endpoints",
    "ombud.dsr.endpoints",
    "ombud.complaints.endpoints",
    "ombud.execution.endpoints",
    "ombud.execution.unlock",
    "ombud.consent.endpoints",
    "ombud.consent.banner_endpoints",
    "ombud.notices.endpoints",
    "ombud.retention.endpoints",
    "ombud.manual.endpoints",
    "ombud.webhooks.endpoints",
    "ombud.console.endpoints",
    "ombud.web.endpoints",
    "ombud.web.docs",
)

STATIC_DIR = Path(__file__).parent / "web" / "static"
# Seconds a thread may hold the GIL while another waits for it (Python's default: 0.005).
GIL_SWITCH_INTERVAL = 0.001


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
        background = dispatcher = scheduler = None
        # The event loop shares the GIL with the threads that wait on the store (the consent
        # batcher's writes): at Python's default 5 ms a thread back from a round trip waits
        # up to that long for a busy loop, and the batch writer's latency caps throughput.
        switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval, GIL_SWITCH_INTERVAL))
        if settings.broker_url:
            # Workers run requests, mail and periodic jobs: the server only sends messages.
            from ombud.workers.dispatch import Dispatcher

            dispatcher = Dispatcher(settings)
            app.state.execution_runner = dispatcher
        else:
            if settings.execute_in_server:
                from ombud.execution.worker import BackgroundRunner

                background = BackgroundRunner(engine, settings)
                background.start()
            app.state.execution_runner = background
            # Embedded mode: housekeeping, retention and the other periodic jobs in one thread.
            from ombud.workers.scheduler import Scheduler, enabled_jobs

            scheduler = Scheduler(engine, settings, enabled_jobs(settings, workers=False))
            scheduler.start()
        with heap.settled():
            yield
        if scheduler is not None:
            scheduler.stop()
        if background is not None:
            background.stop()
        if dispatcher is not None:
            dispatcher.close()
        engine.dispose()
        sys.setswitchinterval(switch_interval)

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
    # Innermost: single consent decisions skip FastAPI's routing, not Ombud's middlewares.
    app.add_middleware(DecisionFastPath)
    app.add_middleware(InputGuard)
    app.add_middleware(LanguageMiddleware)
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
