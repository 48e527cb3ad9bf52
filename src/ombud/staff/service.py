"""Staff accounts (argon2 password hashes) and API tokens (shown once, stored hashed)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from ombud.models.staff import ROLE_RANK, ApiToken, Role, StaffUser
from ombud.staff import repository

_hasher = PasswordHasher()
# Checked against when the account is unknown or disabled, so that answer takes as long as a
# wrong password: otherwise the response time tells which staff emails exist.
_DECOY_HASH = _hasher.hash(secrets.token_urlsafe(16))
TOKEN_PREFIX = "ombud_"
_CACHE_MAX = 4096
# Token hash -> (monotonic time it was checked, token): see OMBUD_TOKEN_CACHE_SECONDS.
_checked: dict[str, tuple[float, ApiToken]] = {}


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {value!r}; use one of: {allowed}") from None


def check_role(value: str) -> Role:
    """The role named ``value`` or ``InvalidInput`` listing the roles."""
    return _role(value)


def hash_password(password: str) -> str:
    """The argon2 hash a password is kept as."""
    return _hasher.hash(password)


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: str,
    name: str = "",
    actor: str = "cli",
) -> StaffUser:
    """Create a staff account; the password is kept only as an argon2 hash."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput(f"{email!r} is not an email address")
    if len(password) < 12:
        raise InvalidInput("password must have at least 12 characters")
    checked = _role(role)
    if repository.get_user_by_email(session, email) is not None:
        raise Conflict(f"a staff user with email {email} already exists")
    user = StaffUser(
        email=email, name=name, role=checked.value, password_hash=_hasher.hash(password)
    )
    repository.add(session, user)
    audit.record(
        session,
        action="staff.user_created",
        actor=actor,
        subject_type="staff",
        subject_id=user.id,
        data={"email": email, "role": checked.value},
    )
    return user


def authenticate_password(session: Session, *, email: str, password: str) -> StaffUser:
    """Return the user whose password matches, or raise ``Unauthorized``."""
    user = repository.get_user_by_email(session, email.strip().lower())
    usable = user is not None and user.active
    try:
        _hasher.verify(user.password_hash if user is not None and usable else _DECOY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("wrong email or password") from None
    if user is None or not usable:  # the decoy never matches a guess, but be explicit
        raise Unauthorized("wrong email or password")
    return user


def hash_token(token: str) -> str:
    """Return the stored form of an API token (tokens are random, so SHA-256 suffices)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token; ``secret`` is shown once and never stored."""

    token: ApiToken
    secret: str


def create_token(
    session: Session,
    *,
    email: str,
    name: str,
    role: str | None = None,
    expires_in_days: int | None = None,
) -> IssuedToken:
    """Issue an API token for a user, with their role or a lesser one."""
    user = repository.get_user_by_email(session, email.strip().lower())
    if user is None:
        raise NotFound(f"no staff user with email {email}")
    wanted = _role(role or user.role)
    if ROLE_RANK[wanted] > ROLE_RANK[Role(user.role)]:
        raise Forbidden(f"{email} has role {user.role} and cannot hold a {wanted.value} token")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires: datetime | None = None
    if expires_in_days is not None:
        expires = utcnow() + timedelta(days=expires_in_days)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(secret),
        role=wanted.value,
        expires_at=expires,
    )
    repository.add(session, token)
    audit.record(
        session,
        action="staff.token_created",
        actor=user.email,
        subject_type="staff",
        subject_id=user.id,
        data={"name": name, "role": wanted.value, "prefix": token.prefix},
    )
    return IssuedToken(token=token, secret=secret)


def cached_token(secret: str, max_age: float) -> ApiToken | None:
    """The token checked for ``secret`` less than ``max_age`` seconds ago and not yet expired."""
    hit = _checked.get(hash_token(secret))
    if hit is None or time.monotonic() - hit[0] >= max_age:
        return None
    token = hit[1]
    if token.expires_at is not None and token.expires_at <= utcnow():
        return None
    return token


def authenticate_token(session: Session, secret: str, *, cache: bool = False) -> ApiToken:
    """Return the live token matching ``secret``, or raise ``Unauthorized``."""
    digest = hash_token(secret)
    token = repository.get_token_by_hash(session, digest)
    now = utcnow()
    if token is None or token.revoked_at is not None or not token.user.active:
        _checked.pop(digest, None)
        raise Unauthorized("invalid API token")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthorized("API token has expired")
    if cache:
        if len(_checked) >= _CACHE_MAX:
            _checked.clear()
        # Detached, so that this request's rollback or commit cannot expire what later
        # requests read; the joined user comes along.
        session.expunge(token.user)
        session.expunge(token)
        _checked[digest] = (time.monotonic(), token)
    return token


def revoke_token(session: Session, *, prefix: str, actor: str = "cli") -> ApiToken:
    """Revoke the live token whose shown prefix is ``prefix``; it stops working at once here."""
    matches = [t for t in repository.tokens_by_prefix(session, prefix) if t.revoked_at is None]
    if not matches:
        raise NotFound(f"no live API token with prefix {prefix!r} (see `ombud tokens list`)")
    if len(matches) > 1:
        raise Conflict(f"{len(matches)} live tokens start with {prefix!r}; give a longer prefix")
    token = matches[0]
    token.revoked_at = utcnow()
    session.flush()
    _checked.pop(token.token_hash, None)
    audit.record(
        session,
        action="staff.token_revoked",
        actor=actor,
        subject_type="staff",
        subject_id=token.user_id,
        data={"name": token.name, "prefix": token.prefix},
    )
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token with its user, newest first."""
    return repository.list_tokens(session)


def require_role(token: ApiToken, role: Role) -> None:
    """Raise ``Forbidden`` unless the token's role is at least ``role``."""
    if ROLE_RANK[Role(token.role)] < ROLE_RANK[role]:
        raise Forbidden(f"this action needs role {role.value}; the token has {token.role}")


def list_users(session: Session) -> list[StaffUser]:
    """Every staff account, by email."""
    return repository.list_users(session)


def get_user(session: Session, email: str) -> StaffUser:
    """The staff user with this email, or ``NotFound``."""
    user = repository.get_user_by_email(session, email.strip().lower())
    if user is None:
        raise NotFound(f"no staff user with email {email}")
    return user
