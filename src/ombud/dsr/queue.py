"""The staff queue: searching requests, assigning them, and deleting unverified spam."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.dsr import repository, workflow
from ombud.dsr.service import SUBJECT, QueueItem, add_note, flags, get
from ombud.errors import Conflict, InvalidInput
from ombud.models.requests import PrivacyRequest, RequestType
from ombud.models.requests import RequestStatus as S
from ombud.staff import service as staff_service

# Never confirmed by the person: kept apart from the work queue, and deletable as spam. (A
# verified request waiting for more proof is awaiting_verification too, but stays in the queue.)
UNVERIFIED = frozenset({S.received, S.awaiting_verification})
MAX_PAGE = 200


@dataclass(frozen=True)
class Filters:
    """What the queue shows; every field comes from the page's query string."""

    status: str = "open"  # "open", "all", "unverified" or one status
    type: str = ""
    jurisdiction: str = ""
    received_from: date | None = None
    received_to: date | None = None
    assignee: str = ""  # a staff user's id, "none", or "" for anyone
    q: str = ""
    sort: str = "deadline"
    descending: bool = False
    page: int = 1
    per_page: int = 25


@dataclass(frozen=True)
class Page:
    """One page of the queue."""

    items: list[QueueItem]
    total: int
    page: int
    pages: int


def _statuses(value: str) -> tuple[list[str], bool | None]:
    """The statuses a status filter means, and whether the person must have confirmed."""
    if value == "open":
        return [s.value for s in workflow.OPEN], True
    if value == "unverified":
        return [s.value for s in UNVERIFIED], False
    if value == "all":
        return [s.value for s in S], None
    try:
        return [S(value).value], None
    except ValueError:
        known = ", ".join(["open", "unverified", "all", *(s.value for s in S)])
        raise InvalidInput(f"unknown status {value!r}; use one of: {known}") from None


def _start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=UTC)


def search(session: Session, filters: Filters) -> Page:
    """One page of requests matching ``filters``, with their deadline flags."""
    if filters.type and filters.type not in {t.value for t in RequestType}:
        raise InvalidInput(f"unknown request type {filters.type!r}")
    if filters.sort not in repository.SORTS:
        raise InvalidInput(
            f"cannot sort by {filters.sort!r}; use one of: {', '.join(repository.SORTS)}"
        )
    per_page = max(1, min(filters.per_page, MAX_PAGE))
    page = max(1, filters.page)
    end = None if filters.received_to is None else filters.received_to + timedelta(days=1)
    statuses, verified = _statuses(filters.status)
    rows, total = repository.search(
        session,
        statuses=statuses,
        verified=verified,
        types=[filters.type] if filters.type else [],
        jurisdiction=filters.jurisdiction or None,
        received_from=_start(filters.received_from),
        received_before=_start(end),
        assignee_id=filters.assignee if filters.assignee not in ("", "none") else None,
        unassigned=filters.assignee == "none",
        text=filters.q or None,
        sort=filters.sort,
        descending=filters.descending,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    pages = max(1, -(-total // per_page))
    return Page([flags(r) for r in rows], total, page, pages)


def assign(
    session: Session, request_id: str, *, assignee: str | None, actor: str, reason: str = ""
) -> PrivacyRequest:
    """Give a request to a staff member (by email), or to nobody; a reason becomes a note."""
    request = get(session, request_id, lock=True)
    user_id: str | None = None
    if assignee:
        user = staff_service.get_user(session, assignee)
        if not user.active:
            raise Conflict(f"staff user {user.email} is deactivated and cannot be assigned")
        user_id = user.id
    previous = request.assignee_id
    request.assignee_id = user_id
    session.flush()
    audit.record(
        session,
        action="request.assigned",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request.id,
        data={"from": previous, "to": user_id},
    )
    if reason.strip():
        who = assignee or "nobody"
        add_note(session, request_id, actor=actor, text=f"assigned to {who}: {reason.strip()}")
    return request


def discard_unverified(session: Session, request_id: str, *, actor: str) -> None:
    """Delete a request nobody confirmed (spam): it and its letters, codes and notes go."""
    request = get(session, request_id, lock=True)
    if S(request.status) not in UNVERIFIED or request.verified_at is not None:
        raise Conflict(
            f"cannot delete request {request_id} as spam: it is {request.status}; only "
            "requests the person never confirmed can be deleted"
        )
    kind, status = request.type, request.status
    repository.delete_request(session, request)
    audit.record(
        session,
        action="request.discarded",
        actor=actor,
        subject_type=SUBJECT,
        subject_id=request_id,
        data={"type": kind, "status": status, "why": "unverified"},
    )
