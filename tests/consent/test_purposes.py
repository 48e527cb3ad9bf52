"""Notice versions created by two workers at the same time, on a real store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ombud.consent import purposes, repository
from ombud.consent.purposes import NoticeRef, PurposeDef
from ombud.db import make_engine
from ombud.models.consent import ConsentNotice


@pytest.fixture
def store(committed_store_url: str) -> Iterator[Engine]:
    """Engine of a fresh, committed store (each worker opens its own session on it)."""
    engine = make_engine(committed_store_url)
    yield engine
    engine.dispose()


def _definition(text: str) -> PurposeDef:
    return PurposeDef(
        key="newsletter",
        title="Newsletter",
        kind="subscription",
        data_use="marketing.communications",
        notice_text=text,
        double_opt_in=True,
        gpc_applies=False,
    )


def _race(
    engine: Engine, store_kind: str, texts: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> tuple[list[NoticeRef], int]:
    """Two workers, two sessions, released together; returns their notices and how many
    inserts found the row already created by the other."""
    barrier = threading.Barrier(2, timeout=20)
    local = threading.local()
    real_latest, real_insert = repository.latest_notice, repository.insert_notice
    lost: list[bool] = []

    def latest_then_wait(session: Session, purpose: str) -> ConsentNotice | None:
        row = real_latest(session, purpose)
        if not getattr(local, "synced", False):
            local.synced = True
            # Both workers have read "no such version yet" before either inserts.
            barrier.wait()
        return row

    def counted_insert(session: Session, row: dict[str, Any]) -> bool:
        inserted = real_insert(session, row)
        lost.append(not inserted)
        return inserted

    if store_kind == "postgresql":
        monkeypatch.setattr(repository, "latest_notice", latest_then_wait)
    monkeypatch.setattr(repository, "insert_notice", counted_insert)
    results: list[NoticeRef] = []
    errors: list[BaseException] = []

    def worker(text: str) -> None:
        try:
            if store_kind != "postgresql":
                # SQLite: BEGIN IMMEDIATE makes the second writer wait for the first commit,
                # so the workers are released together before their first query.
                barrier.wait()
            with Session(engine) as session:
                results.append(purposes.current_notice(session, _definition(text)))
                session.commit()
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    return results, sum(lost)


def _stored(engine: Engine) -> list[tuple[int, str]]:
    with Session(engine) as session:
        rows = session.scalars(select(ConsentNotice).order_by(ConsentNotice.version))
        return [(n.version, n.text) for n in rows]


def test_first_version_created_once_by_concurrent_workers(
    store: Engine, store_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Our monthly newsletter."
    results, lost = _race(store, store_kind, (text, text), monkeypatch)
    assert _stored(store) == [(1, text)]
    assert len(results) == 2 and results[0] == results[1]
    # PostgreSQL: both inserted at once, one found the other's row (no unique-key error).
    assert lost == (1 if store_kind == "postgresql" else 0)


def test_next_versions_of_different_texts_both_created(
    store: Engine, store_kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(store) as session:
        purposes.current_notice(session, _definition("Old wording."))
        session.commit()
    results, lost = _race(store, store_kind, ("Wording A.", "Wording B."), monkeypatch)
    stored = _stored(store)
    assert [v for v, _t in stored] == [1, 2, 3]
    assert {t for _v, t in stored} == {"Old wording.", "Wording A.", "Wording B."}
    assert sorted(r.version for r in results) == [2, 3]
    assert {(r.version, r.text) for r in results} <= set(stored)
    assert lost == (1 if store_kind == "postgresql" else 0)
