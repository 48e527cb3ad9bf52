"""A running server keeps startup's objects out of the collector's reach and collects its
youngest generation less often; garbage made while it runs is still collected."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ombud import heap
from ombud.cli.main import app as cli
from ombud.execution import tasks


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_server_settles_the_heap_while_it_runs_and_restores_it(app: FastAPI) -> None:
    before = (gc.get_threshold(), gc.get_freeze_count())
    assert before[0][0] < heap.YOUNG_THRESHOLD  # the test process runs with Python's default
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
        assert gc.get_threshold()[1:] == before[0][1:]
        assert gc.get_freeze_count() > before[1]
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


def test_cycles_made_while_settled_are_still_collected() -> None:
    with heap.settled():
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a cycle: reference counting alone never frees it
        gone = weakref.ref(a)
        del a, b
        assert gone() is not None
        gc.collect()
        assert gone() is None


def test_settled_blocks_nest_and_undo_in_order() -> None:
    outer = gc.get_threshold()
    with heap.settled():
        with heap.settled():
            assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
        assert gc.get_threshold()[0] == heap.YOUNG_THRESHOLD
    assert gc.get_threshold() == outer
    assert gc.get_freeze_count() == 0


def test_requests_run_settles_the_heap_for_its_queue(
    cli_store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, int, int]] = []
    real = tasks.run_pending

    def watched(*args: Any, **kwargs: Any) -> list[tasks.RunReport]:
        seen.append(gc.get_threshold())
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "run_pending", watched)
    before = (gc.get_threshold(), gc.get_freeze_count())
    res = CliRunner().invoke(cli, ["requests", "run"])
    assert res.exit_code == 0, res.output
    assert "nothing to run" in res.output
    assert [t[0] for t in seen] == [heap.YOUNG_THRESHOLD]
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
