"""What admins change on staff accounts: role, disabled, a new password (all audited)."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.errors import Conflict
from ombud.models.staff import Role, StaffUser
from ombud.staff import repository
from ombud.staff.service import check_role, get_user, hash_password


def _last_admin(session: Session, user: StaffUser) -> bool:
    admins = [u for u in repository.list_users(session) if u.role == Role.admin.value and u.active]
    return [u.id for u in admins] == [user.id]


def _record(session: Session, user: StaffUser, action: str, actor: str, **data: object) -> None:
    audit.record(
        session,
        action=f"staff.{action}",
        actor=actor,
        subject_type="staff",
        subject_id=user.id,
        data=dict(data),
    )


def set_role(session: Session, *, email: str, role: str, actor: str) -> StaffUser:
    """Give a staff member another role; the last active admin keeps theirs."""
    user = get_user(session, email)
    checked = check_role(role)
    if checked.value == user.role:
        return user
    if user.role == Role.admin.value and _last_admin(session, user):
        raise Conflict(f"{user.email} is the last active admin; make someone else admin first")
    previous, user.role = user.role, checked.value
    session.flush()
    _record(session, user, "role_changed", actor, previous=previous, role=checked.value)
    return user


def set_active(session: Session, *, email: str, active: bool, actor: str) -> StaffUser:
    """Disable a staff member (sessions and tokens stop working at once) or enable them again."""
    user = get_user(session, email)
    if not active and user.email == actor.strip().lower():
        raise Conflict("you cannot disable your own account")
    if not active and user.role == Role.admin.value and _last_admin(session, user):
        raise Conflict(f"{user.email} is the last active admin and cannot be disabled")
    if user.active != active:
        user.active = active
        session.flush()
        _record(session, user, "enabled" if active else "disabled", actor)
    return user


def new_password() -> str:
    """A random password of 20 characters (about 120 bits)."""
    return secrets.token_urlsafe(15)


def reset_password(session: Session, *, email: str, actor: str) -> str:
    """Set a new random password and return it (shown once; only its hash is kept)."""
    user = get_user(session, email)
    password = new_password()
    user.password_hash = hash_password(password)
    session.flush()
    _record(session, user, "password_reset", actor)
    return password
