"""Optional TOTP second factor per staff user: enrolment with a QR code, recovery codes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass

import pyotp
import pyrage
import segno
from sqlalchemy.orm import Session

from ombud import keys
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.console import repository
from ombud.dsr.sealing import identity
from ombud.errors import Conflict, InvalidInput
from ombud.models.console import StaffTotp
from ombud.models.staff import StaffUser

ISSUER = "Ombud"
RECOVERY_CODES = 10
REQUIRE_POLICY = "require_totp"


def _seal(settings: Settings, secret: str) -> str:
    public = identity(keys.current(settings, keys.CONSOLE_TOTP)).to_public()
    return base64.b64encode(pyrage.encrypt(secret.encode(), [public])).decode("ascii")


def _unseal(settings: Settings, sealed: str) -> str:
    try:
        ids = [identity(k) for k in keys.accepted(settings, keys.CONSOLE_TOTP)]
        opened: bytes = pyrage.decrypt(base64.b64decode(sealed), ids)
        return opened.decode()
    except (pyrage.DecryptError, binascii.Error, ValueError):
        raise Conflict(
            "cannot open this account's second-factor secret: it was sealed with another "
            "OMBUD_SECRET_KEY; an admin can reset the second factor"
        ) from None


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def required(session: Session) -> bool:
    """True when an admin requires a second factor of every staff user."""
    return bool(repository.policy(session, REQUIRE_POLICY))


def set_required(session: Session, value: bool, *, actor: str) -> None:
    """Require (or stop requiring) a second factor of every staff user (admin)."""
    repository.set_policy(session, REQUIRE_POLICY, value, actor=actor, at=utcnow())
    audit.record(
        session,
        action="console.policy_changed",
        actor=actor,
        subject_type="console",
        subject_id=REQUIRE_POLICY,
        data={"value": value},
    )


def enabled(session: Session, user_id: str) -> bool:
    """True when the user has a confirmed second factor."""
    row = repository.totp(session, user_id)
    return row is not None and row.confirmed_at is not None


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret, its QR code as SVG, and the otpauth URI."""

    secret: str
    uri: str
    svg: str


def start_enrolment(session: Session, settings: Settings, user: StaffUser) -> Enrolment:
    """A fresh unconfirmed secret (replacing an unconfirmed one); refused if one is active."""
    row = repository.totp(session, user.id)
    if row is not None and row.confirmed_at is not None:
        raise Conflict("this account already has a second factor; remove it first")
    secret = pyotp.random_base32()
    if row is None:
        row = StaffTotp(user_id=user.id, secret_sealed=_seal(settings, secret))
        repository.add(session, row)
    else:
        row.secret_sealed = _seal(settings, secret)
        session.flush()
    return enrolment(settings, user, row)


def enrolment(settings: Settings, user: StaffUser, row: StaffTotp) -> Enrolment:
    """The enrolment of an unconfirmed secret, for showing again."""
    secret = _unseal(settings, row.secret_sealed)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", scale=4, xmldecl=False, svgns=True, title="QR code of the secret"
    )
    return Enrolment(secret, uri, out.getvalue().decode())


def _step(settings: Settings, row: StaffTotp, code: str) -> int | None:
    """The time step ``code`` belongs to (this one or its neighbours), or None."""
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(_unseal(settings, row.secret_sealed))
    now = utcnow()
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if step > row.last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def confirm(session: Session, settings: Settings, user: StaffUser, code: str) -> list[str]:
    """Confirm enrolment with a first code; return the recovery codes (shown once)."""
    row = repository.totp(session, user.id)
    if row is None or row.confirmed_at is not None:
        raise Conflict("no second factor is being set up for this account; start again")
    step = _step(settings, row, code)
    if step is None:
        raise InvalidInput("that code is not the one the app shows now; try the next one")
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    row.recovery_hashes = [_hash_code(c) for c in codes]
    row.last_step = step
    row.confirmed_at = utcnow()
    session.flush()
    audit.record(
        session,
        action="console.second_factor_added",
        actor=user.email,
        subject_type="staff",
        subject_id=user.id,
        data={"recovery_codes": len(codes)},
    )
    return codes


def verify(session: Session, settings: Settings, user: StaffUser, code: str) -> bool:
    """True for a current code not used before, or an unused recovery code (then spent)."""
    row = repository.totp(session, user.id)
    if row is None or row.confirmed_at is None:
        return False
    step = _step(settings, row, code)
    if step is not None:
        row.last_step = step
        session.flush()
        return True
    digest = _hash_code(code)
    if any(hmac.compare_digest(digest, h) for h in row.recovery_hashes):
        row.recovery_hashes = [h for h in row.recovery_hashes if h != digest]
        session.flush()
        audit.record(
            session,
            action="console.recovery_code_used",
            actor=user.email,
            subject_type="staff",
            subject_id=user.id,
            data={"left": len(row.recovery_hashes)},
        )
        return True
    return False


def remove(session: Session, user: StaffUser, *, actor: str) -> None:
    """Remove a user's second factor (their own, or an admin resetting it)."""
    row = repository.totp(session, user.id)
    if row is None:
        return
    repository.delete_totp(session, row)
    audit.record(
        session,
        action="console.second_factor_removed",
        actor=actor,
        subject_type="staff",
        subject_id=user.id,
        data={},
    )
