"""Append to and verify the hash-chained audit log."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import repository
from ombud.clock import utcnow
from ombud.models.audit import AuditEntry

# Keys whose values must never reach the log (codes, secrets, export contents).
FORBIDDEN_KEYS = frozenset(
    {
        "code",
        "verification_code",
        "password",
        "passphrase",
        "token",
        "secret",
        "export",
        "contents",
        "rows",
    }
)


class AuditSecretError(ValueError):
    """Raised when a caller tries to write a secret into the audit log."""


def _digest(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any],
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [seq, at.isoformat(), actor, action, subject_type, subject_id, data, prev_hash],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _check_secrets(data: Any, path: str = "data") -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            if str(key).lower() in FORBIDDEN_KEYS:
                raise AuditSecretError(f"{path}.{key} may not be written to the audit log")
            _check_secrets(value, f"{path}.{key}")
    elif isinstance(data, list):
        for i, value in enumerate(data):
            _check_secrets(value, f"{path}[{i}]")


def record(
    session: Session,
    *,
    action: str,
    actor: str,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry, chained to the previous one; part of the caller's transaction."""
    payload = json.loads(json.dumps(data or {}, default=str))
    _check_secrets(payload)
    head = repository.lock_head(session)
    at = utcnow()
    seq = head.seq + 1
    digest = _digest(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        data=payload,
        prev_hash=head.hash,
    )
    entry = AuditEntry(
        seq=seq,
        at=at,
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        data=payload,
        prev_hash=head.hash,
        hash=digest,
    )
    repository.add(session, entry)
    head.seq, head.hash = seq, digest
    session.flush()
    return entry


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain: ``ok`` or the first broken entry and why."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""


def verify(session: Session) -> VerifyResult:
    """Walk the whole log and report the first entry that was edited, deleted or reordered."""
    expected_prev = ""
    checked = 0
    with repository.iter_entries(session) as entries:
        for entry in entries:
            problem = _check_entry(entry, expected_seq=checked + 1, expected_prev=expected_prev)
            if problem:
                return VerifyResult(False, checked, entry.seq, entry.id, problem)
            expected_prev = entry.hash
            checked += 1
    head = repository.get_head(session)
    if head is not None and (head.seq != checked or head.hash != expected_prev):
        return VerifyResult(
            False,
            checked,
            checked + 1,
            None,
            f"log ends at entry #{checked} but the head records #{head.seq} (entries removed)",
        )
    return VerifyResult(True, checked)


def _check_entry(entry: AuditEntry, *, expected_seq: int, expected_prev: str) -> str:
    if entry.seq != expected_seq:
        return f"expected entry #{expected_seq} here, found #{entry.seq} (deleted or reordered)"
    if entry.prev_hash != expected_prev:
        return "previous-hash link does not match the entry before it"
    digest = _digest(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        data=entry.data,
        prev_hash=entry.prev_hash,
    )
    return "" if digest == entry.hash else "content was edited"
