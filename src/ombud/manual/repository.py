"""All SQL of manual tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ombud.models.manual import ManualTask

OPEN = "open"


def add(session: Session, task: ManualTask) -> ManualTask:
    """Store a new task."""
    session.add(task)
    session.flush()
    return task


def get(session: Session, task_id: str, *, lock: bool = False) -> ManualTask | None:
    """One task."""
    stmt = select(ManualTask).where(ManualTask.id == task_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def for_request(session: Session, request_id: str) -> list[ManualTask]:
    """Every task of a request, in the order they were opened."""
    stmt = (
        select(ManualTask)
        .where(ManualTask.request_id == request_id)
        .order_by(ManualTask.created_at, ManualTask.system_key)
    )
    return list(session.scalars(stmt))


def with_tasks(session: Session, request_ids: Sequence[str]) -> set[str]:
    """Which of these requests have any task."""
    stmt = select(ManualTask.request_id).where(ManualTask.request_id.in_(list(request_ids)))
    return set(session.scalars(stmt.distinct()))


def open_count(session: Session, request_id: str) -> int:
    """How many tasks of a request are still open."""
    stmt = select(func.count()).where(
        ManualTask.request_id == request_id, ManualTask.status == OPEN
    )
    return int(session.scalar(stmt) or 0)


def to_remind(session: Session, *, due_by: date, limit: int = 200) -> Sequence[ManualTask]:
    """Open tasks due on or before ``due_by`` whose owner was not reminded yet."""
    stmt = (
        select(ManualTask)
        .where(
            ManualTask.status == OPEN,
            ManualTask.reminded_at.is_(None),
            ManualTask.due_on.is_not(None),
            ManualTask.due_on <= due_by,
        )
        .order_by(ManualTask.due_on, ManualTask.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))


def to_escalate(session: Session, *, today: date, limit: int = 200) -> Sequence[ManualTask]:
    """Open tasks past their deadline that were not escalated yet."""
    stmt = (
        select(ManualTask)
        .where(
            ManualTask.status == OPEN,
            ManualTask.escalated_at.is_(None),
            ManualTask.due_on.is_not(None),
            ManualTask.due_on < today,
        )
        .order_by(ManualTask.due_on, ManualTask.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(session.scalars(stmt))
