"""Steps marked done: one statement per set of requests, whatever collections and actions
they span, and only the steps named."""

from __future__ import annotations

from sqlalchemy import Engine, select

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.db import unit_of_work
from ombud.execution import repository
from ombud.models.base import new_id
from ombud.models.execution import ExecutionRun, ExecutionStep
from tests.execution.test_lifecycle import add_request
from tests.fixtures.statements import statements

STEPS = [("customers", "mask"), ("orders", "delete"), ("devices", "delete")]


def _pending_steps(engine: Engine, request_ids: list[str]) -> None:
    """A run per request, with a pending step (a payload to drop) per entry of STEPS."""
    with unit_of_work(engine) as session:
        for rid in request_ids:
            run = ExecutionRun(id=new_id(), request_id=rid, phase="applying", attempts=1)
            repository.add_run(session, run)
            session.flush()
            repository.insert_steps(
                session,
                [
                    {
                        "id": new_id(),
                        "run_id": run.id,
                        "request_id": rid,
                        "collection": collection,
                        "action": action,
                        "position": i,
                        "status": "pending",
                        "payload": {"values": ["kept until done"]},
                        "summary": {},
                        "kept": [],
                        "old_hashes": {},
                    }
                    for i, (collection, action) in enumerate(STEPS)
                ],
            )


def _marks(engine: Engine) -> dict[tuple[str, str, str], tuple[str, dict[str, object]]]:
    with unit_of_work(engine) as session:
        rows = session.scalars(select(ExecutionStep))
        return {(s.request_id, s.collection, s.action): (s.status, s.payload) for s in rows}


def test_steps_of_several_actions_are_marked_in_one_statement(
    store: tuple[Settings, Engine],
) -> None:
    _settings, engine = store
    ann, bob, cy = (add_request(engine, "erasure", n) for n in (1, 2, 3))
    _pending_steps(engine, [ann, bob, cy])
    # Ann and Bob: every step, masks and deletes; Cy: one delete only.
    done = [(rid, c, a) for rid in (ann, bob) for c, a in STEPS] + [(cy, "orders", "delete")]
    with (
        unit_of_work(engine) as session,
        statements(session.connection(), "UPDATE", "execution_steps") as sent,
    ):
        repository.mark_done(session, done, at=utcnow())
    assert len(sent) == 2  # {Ann, Bob} x three steps, and {Cy} x one
    marks = _marks(engine)
    for ident in done:
        assert marks[ident] == ("done", {})
    for collection, action in (("customers", "mask"), ("devices", "delete")):
        assert marks[(cy, collection, action)] == (
            "pending",
            {"values": ["kept until done"]},
        )
