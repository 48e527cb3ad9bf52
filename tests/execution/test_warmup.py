"""A runner compiles the request path's templates and imports its connectors as it starts."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from ombud.config import Settings
from ombud.connectors import base as connectors
from ombud.execution import warmup
from ombud.execution.worker import BackgroundRunner
from ombud.web.render import environment


def test_warm_compiles_the_letters_and_package_templates_and_loads_the_connectors() -> None:
    env = environment()
    cache = env.cache
    assert cache is not None
    cache.clear()
    took = warmup.warm()
    compiled = {key[1] for key in cache.keys()}  # noqa: SIM118 (Jinja's LRUCache, not a dict)
    wanted = [name for name in env.list_templates() if name.startswith(warmup.PREFIXES)]
    assert "email/completion.txt" in wanted and "execution/access_summary.html" in wanted
    assert set(wanted) <= compiled
    assert not any(name.startswith("staff/") for name in compiled)  # only the request path
    assert {"mysql", "postgresql", "sqlite"} <= set(connectors.registered())
    assert took > 0


def test_the_background_runner_warms_up_before_its_first_batch(
    store: tuple[Settings, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, engine = store
    warmed = threading.Event()

    def warm() -> float:
        warmed.set()
        return 0.0

    monkeypatch.setattr(warmup, "warm", warm)
    runner = BackgroundRunner(engine, settings)
    runner.start()
    try:
        assert warmed.wait(10), "the runner's thread did not warm up"
    finally:
        runner.stop()
