"""Append to and verify the audit log: a chain of HMACs keyed with a key derived from the
secret key, so the store alone can neither forge nor re-hash it (see docs/security.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ombud import config, keys
from ombud.audit import pending, repository
from ombud.clock import utcnow
from ombud.config import Settings
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


def _message(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    data: dict[str, Any],
    prev_hash: str,
) -> bytes:
    return json.dumps(
        [seq, at.isoformat(), actor, action, subject_type, subject_id, data, prev_hash],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    ).encode()


def canonical(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash covers (its fields and the previous hash)."""
    return _message(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        data=entry.data,
        prev_hash=entry.prev_hash,
    )


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
    settings: Settings | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction: chained and written with the others of
    the transaction when it commits (``ombud.audit.pending``); the entry returned gets its
    sequence number, hash and id then."""
    payload = json.loads(json.dumps(data or {}, default=str))
    _check_secrets(payload)
    # Keyed: whoever can write the store but lacks the key cannot compute a valid entry.
    key = keys.current(settings or config.get_settings(), keys.AUDIT_CHAIN)
    entry = AuditEntry(
        seq=0,
        at=utcnow(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        data=payload,
        prev_hash="",
        hash="",
    )
    pending.add(session, entry, key)
    return entry


def write_pending(session: Session) -> int:
    """Chain and write the entries waiting in ``session``'s transaction now; how many."""
    items = pending.take(session)
    if not items:
        return 0
    with _head_lock:
        known = _last_head
    last = _chain(known, items)
    entries = [p.entry for p in items]
    # One statement moves and locks the head when this process's last known head is still
    # the store's (one writer, or this process wrote last), and on PostgreSQL writes the
    # entries too; otherwise the head is read under its lock. Either way the entries are
    # chained while the head row is locked.
    moved = False
    if known is not None:
        written = repository.move_head_and_add(
            session, seq=known[0], hash=known[1], new_seq=last[0], entries=entries
        )
        if written:
            _remember(last)
            return len(items)
        moved = written is None and repository.advance_head(
            session, seq=known[0], hash=known[1], new_seq=last[0], new_hash=last[1]
        )
    if not moved:
        head = repository.lock_head(session)
        last = _chain((head.seq, head.hash), items)
        head.seq, head.hash = last
        session.flush()
    repository.add_many(session, entries)
    _remember(last)
    return len(items)


def _chain(head: tuple[int, str] | None, items: list[pending.Pending]) -> tuple[int, str]:
    """Number and hash the entries after ``head``; the new head."""
    seq, prev_hash = head or (0, "")
    for item in items:
        e = item.entry
        seq += 1
        message = _message(
            seq=seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            subject_type=e.subject_type,
            subject_id=e.subject_id,
            data=e.data,
            prev_hash=prev_hash,
        )
        e.seq, e.prev_hash = seq, prev_hash
        e.hash = prev_hash = hmac.new(item.key, message, hashlib.sha256).hexdigest()
    return seq, prev_hash


pending.install(write_pending)


# The head this process wrote last: a hint only, checked by the conditional update (a stale
# or rolled-back one costs the locked read it would have saved).
_head_lock = threading.Lock()
_last_head: tuple[int, str] | None = None


def _remember(head: tuple[int, str]) -> None:
    global _last_head
    with _head_lock:
        _last_head = head


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain: ``ok`` or the first broken entry and why."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    head_hash: str = ""  # hash of the last intact entry


def verify(session: Session, settings: Settings | None = None) -> VerifyResult:
    """Walk the whole log and report the first entry that was edited, deleted or reordered."""
    accepted = keys.accepted(settings or config.get_settings(), keys.AUDIT_CHAIN)
    # Index into ``accepted`` of the key the previous entry verified with: entries only ever
    # move to newer keys (lower index), so an old, retired key cannot extend the chain.
    newest_allowed = len(accepted) - 1
    expected_prev = ""
    checked = 0
    with repository.iter_entries(session) as entries:
        for entry in entries:
            problem, used = _check_entry(
                entry,
                expected_seq=checked + 1,
                expected_prev=expected_prev,
                keys_to_try=accepted[: newest_allowed + 1],
            )
            if problem:
                return VerifyResult(False, checked, entry.seq, entry.id, problem, expected_prev)
            newest_allowed = used
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
            expected_prev,
        )
    return VerifyResult(True, checked, head_hash=expected_prev)


def _check_entry(
    entry: AuditEntry, *, expected_seq: int, expected_prev: str, keys_to_try: list[bytes]
) -> tuple[str, int]:
    if entry.seq != expected_seq:
        return f"expected entry #{expected_seq} here, found #{entry.seq} (deleted or reordered)", 0
    if entry.prev_hash != expected_prev:
        return "previous-hash link does not match the entry before it", 0
    message = canonical(entry)
    for index, key in enumerate(keys_to_try):
        if hmac.compare_digest(hmac.new(key, message, hashlib.sha256).hexdigest(), entry.hash):
            return "", index
    return (
        "content was edited, or the entry was written or re-hashed without the audit key "
        "(OMBUD_SECRET_KEY and OMBUD_SECRET_KEYS_OLD)",
        0,
    )


def for_subject(session: Session, *, subject_type: str, subject_id: str) -> list[AuditEntry]:
    """The entries about one subject, oldest first."""
    return repository.for_subject(session, subject_type=subject_type, subject_id=subject_id)


@dataclass(frozen=True)
class Search:
    """What the console's audit page filters on."""

    subject_id: str = ""
    action: str = ""
    actor: str = ""
    before_seq: int | None = None


def search(session: Session, query: Search, *, limit: int = 100) -> list[AuditEntry]:
    """Entries matching ``query``, newest first."""
    return repository.search(
        session,
        subject_id=query.subject_id.strip(),
        action=query.action.strip(),
        actor=query.actor.strip(),
        before_seq=query.before_seq,
        limit=limit,
    )


def export_lines(entries: list[AuditEntry]) -> str:
    """Entries as JSON lines, chain order, with their hashes (to check them elsewhere)."""
    rows = sorted(entries, key=lambda e: e.seq)
    return "".join(
        json.dumps(
            {
                "seq": e.seq,
                "at": e.at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "subject_type": e.subject_type,
                "subject_id": e.subject_id,
                "data": e.data,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            },
            sort_keys=True,
            default=str,
        )
        + "\n"
        for e in rows
    )
