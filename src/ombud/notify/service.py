"""Mail to staff: a request was verified and waits for them; each can turn mail off."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.db import forget_per_transaction, once_per_transaction
from ombud.errors import NotFound
from ombud.models.requests import PrivacyRequest
from ombud.models.staff import Role, StaffUser
from ombud.notify import repository
from ombud.outbox import service as outbox
from ombud.staff import repository as staff_repository

OFFICERS = (Role.privacy_officer.value,)
# Without any privacy officer, admins hear about requests instead.
FALLBACK = (Role.admin.value,)


def console_url(path: str) -> str:
    """A link into the staff console."""
    return f"{config.get_settings().base_url.rstrip('/')}/staff{path}"


_OFFICERS = "notify_officers"


def officers(session: Session) -> list[StaffUser]:
    """Staff who get mail about unassigned requests and the digest (if they want it)."""
    primed: list[StaffUser] | None = once_per_transaction(session, _OFFICERS, lambda: None)
    if primed is not None:
        return primed
    # One read for both questions (is there an officer at all? who wants mail?): it is asked
    # for every verified request.
    staff = repository.active_in(session, OFFICERS + FALLBACK)
    roles = OFFICERS if any(u.role in OFFICERS for u in staff) else FALLBACK
    return [u for u in staff if u.role in roles and u.notifications]


def prime(session: Session) -> None:
    """Read the officers once for the rest of this transaction: a bulk intake, which changes
    no staff, asks for every request it records."""
    forget_per_transaction(session, _OFFICERS)
    found = officers(session)
    once_per_transaction(session, _OFFICERS, lambda: found)


def recipients(session: Session, request: PrivacyRequest) -> list[StaffUser]:
    """The assigned staff member (if they want mail), or every privacy officer."""
    if request.assignee_id is not None:
        user = repository.user_by_id(session, request.assignee_id)
        return [user] if user is not None and user.active and user.notifications else []
    return officers(session)


_GATHERED = "notify_gathered"
# Requests a gathered mail names one by one; the queue link shows the rest.
LISTED = 50


@contextmanager
def gathered(session: Session) -> Iterator[list[PrivacyRequest]]:
    """Within the block, requests verified in ``session`` are gathered in the list yielded
    instead of mailed one by one: an import then mails each recipient once
    (``requests_verified``), not once per request."""
    held: list[PrivacyRequest] = []
    session.info[_GATHERED] = held
    try:
        yield held
    finally:
        session.info.pop(_GATHERED, None)


def request_verified(session: Session, request: PrivacyRequest) -> int:
    """Queue mail saying the request is verified and needs a decision (gathered instead
    within ``gathered``); returns how many mails were queued."""
    held: list[PrivacyRequest] | None = session.info.get(_GATHERED)
    if held is not None:
        held.append(request)
        return 0
    return requests_verified(session, [request])


def requests_verified(session: Session, requests: Sequence[PrivacyRequest]) -> int:
    """Queue one mail per recipient naming every one of ``requests`` they hear about (each
    request goes to its assignee, or to the officers); returns how many mails."""
    by_user: dict[str, list[PrivacyRequest]] = {}
    for request in dict((r.id, r) for r in requests).values():
        for user in recipients(session, request):
            by_user.setdefault(user.email, []).append(request)
    settings = config.get_settings()
    for to, named in by_user.items():
        subject, text = _one(named[0]) if len(named) == 1 else _many(named)
        outbox.enqueue(session, settings, to=to, subject=subject, text=text)
    return len(by_user)


def _one(request: PrivacyRequest) -> tuple[str, str]:
    due = request.extended_due_on or request.due_on
    # Staff mail carries no identity of the person: the console shows them after sign-in.
    text = (
        f"A {request.type} request ({request.jurisdiction}) was verified and waits for a "
        f"decision.\n\n"
        f"  request   {request.id}\n"
        f"  deadline  {due or 'none'}\n"
        f"  approval  {request.approval_policy} ({request.approval_rule or 'default rule'})\n\n"
        f"Open it: {console_url(f'/requests/{request.id}')}\n\n{_WHY}"
    )
    return f"Request {request.id[:8]} verified: {request.type} needs a decision", text


def _many(requests: list[PrivacyRequest]) -> tuple[str, str]:
    # Soonest deadline first: the order in which they need a decision.
    ordered = sorted(requests, key=lambda r: (str(r.extended_due_on or r.due_on or "~"), r.id))
    lines = [
        f"  {r.id}  {r.type} ({r.jurisdiction})  deadline {r.extended_due_on or r.due_on or 'none'}"
        for r in ordered[:LISTED]
    ]
    if len(ordered) > LISTED:
        lines.append(f"  ... and {len(ordered) - LISTED} more")
    text = (
        f"{len(requests)} requests were verified and wait for a decision.\n\n"
        + "\n".join(lines)
        + f"\n\nOpen the queue: {console_url('/requests?status=verified')}\n\n{_WHY}"
    )
    return f"{len(requests)} requests verified: they need a decision", text


_WHY = (
    "You get this mail because you are assigned to the request or are a privacy officer;\n"
    "turn it off with `ombud users notifications EMAIL --off` or in the console.\n"
)


def set_notifications(session: Session, *, email: str, enabled: bool, actor: str) -> StaffUser:
    """Turn a staff member's notification mail on or off."""
    user = staff_repository.get_user_by_email(session, email.strip().lower())
    if user is None:
        raise NotFound(f"no staff user with email {email}")
    user.notifications = enabled
    session.flush()
    audit.record(
        session,
        action="staff.notifications_changed",
        actor=actor,
        subject_type="staff",
        subject_id=user.id,
        data={"enabled": enabled},
    )
    return user
