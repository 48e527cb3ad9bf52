"""Writing the ledger: keyed identity hashes, IP truncation, records plus current state."""

from __future__ import annotations

import hmac
import ipaddress
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from ombud import config, keys
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.consent import repository, repository_batch
from ombud.consent.purposes import NoticeRef
from ombud.consent.schemas import SubjectKind
from ombud.db import forget_per_transaction
from ombud.errors import InvalidInput
from ombud.models.consent import ConsentRecord
from ombud.webhooks import service as webhooks

# Where ``consent.package`` keeps histories read ahead for a transaction's packages: any write
# to the ledger in that transaction drops them.
READ_AHEAD = "consent_package_histories"


@dataclass(frozen=True)
class Subject:
    """One identity of a person, normalised, with its keyed hash."""

    kind: str
    value: str | None  # None once erased: the hash alone still finds the state
    hash: str


@dataclass(frozen=True)
class Context:
    """Where and how a decision was collected (all optional)."""

    source_url: str = ""
    user_agent: str | None = None
    # The client's full address: ``write`` truncates it (the one place), as settings say.
    ip: str | None = None
    jurisdiction: str | None = None
    actor: str = "subject"


@dataclass
class Entry:
    """A decision ready to be written."""

    subject: Subject
    purpose: str
    decision: str
    method: str
    notice: NoticeRef
    jurisdiction: str
    context: Context
    evidence: dict[str, Any] = field(default_factory=dict)


def _settings(settings: Settings | None) -> Settings:
    return settings or config.get_settings()


def normalise(kind: str, value: str) -> str:
    """Canonical form of an identity: emails trimmed and lower-cased, ids trimmed."""
    value = value.strip()
    return value.lower() if kind == SubjectKind.email else value


def identity_key(settings: Settings | None = None) -> bytes:
    """Key of the identity hashes: stable across rotation, or stored states would be lost."""
    return keys.stable(_settings(settings), keys.CONSENT_IDENTITY)


def subject_hash(kind: str, value: str, settings: Settings | None = None) -> str:
    """HMAC-SHA256 of ``kind:value`` with the identity key (hex)."""
    key = identity_key(settings)
    msg = f"{kind}:{normalise(kind, value)}".encode()
    return hmac.digest(key, msg, "sha256").hex()


def hash_many(kind: str, values: Sequence[str], settings: Settings | None = None) -> list[str]:
    """Keyed hashes of many identities (the bulk check's hot loop)."""
    key = identity_key(settings)
    prefix = f"{kind}:"
    digest = hmac.digest
    if kind == SubjectKind.email:
        return [digest(key, (prefix + v.strip().lower()).encode(), "sha256").hex() for v in values]
    return [digest(key, (prefix + v.strip()).encode(), "sha256").hex() for v in values]


def make_subject(kind: str, value: str, settings: Settings | None = None) -> Subject:
    """Validate and hash one identity; ``InvalidInput`` says which and why."""
    value = normalise(kind, value)
    if not value:
        raise InvalidInput(f"{kind}: must not be empty")
    if kind == SubjectKind.email:
        value, problem = _checked_email(value)
        if problem:
            raise InvalidInput(f"email: '{value}' is not a valid address: {problem}")
    return Subject(kind=kind, value=value, hash=subject_hash(kind, value, settings))


@lru_cache(maxsize=4096)
def _checked_email(value: str) -> tuple[str, str]:
    """(normalised address, '') or (the address, why it is not one). Cached: a request's
    address is checked again for its package and its letters, and the check is slow."""
    try:
        return validate_email(value, check_deliverability=False).normalized.lower(), ""
    except EmailNotValidError as exc:
        return value, str(exc)


def email_subject(email: str, settings: Settings | None = None) -> Subject:
    """Shortcut for an email identity."""
    return make_subject(SubjectKind.email, email, settings)


def check_ip(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The parsed address; ``InvalidInput`` when ``ip`` is not an IPv4 or IPv6 address."""
    if not ip:
        return None
    try:
        return ipaddress.ip_address(ip.strip())
    except ValueError:
        raise InvalidInput(f"ip: '{ip}' is not an IPv4 or IPv6 address") from None


def truncate_ip(ip: str | None, settings: Settings | None = None) -> str | None:
    """Keep only the network (/24 IPv4, /48 IPv6), the full address, or nothing, per settings.

    Called once per address, where it is stored (``write``, pending subscriptions): an
    address truncated already is a network, not an address, and is refused."""
    s = _settings(settings)
    if not ip or not s.store_ip:
        return None
    addr = check_ip(ip)
    assert addr is not None
    if not s.ip_truncation:
        return str(addr)
    prefix = 24 if addr.version == 4 else 48
    return str(ipaddress.ip_network((addr, prefix), strict=False))


def write(
    session: Session, entries: Sequence[Entry], settings: Settings | None = None
) -> list[ConsentRecord]:
    """Append records and upsert current states in the caller's transaction."""
    written = write_checked(session, entries, map_version=None, settings=settings)
    assert written is not None  # unchecked writes always happen
    return written


def append(session: Session, entries: Sequence[Entry], settings: Settings | None = None) -> int:
    """Like ``write``, without handing the records back (an erasure's withdrawals): building
    them cost more than writing them. How many were written."""
    written = _append(session, entries, map_version=None, settings=settings)
    assert written is not None  # unchecked writes always happen
    return len(written)


def write_checked(
    session: Session,
    entries: Sequence[Entry],
    *,
    map_version: str | None,
    settings: Settings | None = None,
) -> list[ConsentRecord] | None:
    """Like ``write``, but only while data map version ``map_version`` ("" for none) is the
    latest; None, with nothing written, when it no longer is. None skips the check."""
    rows = _append(session, entries, map_version=map_version, settings=settings)
    return None if rows is None else [ConsentRecord(**row) for row in rows]


def _append(
    session: Session,
    entries: Sequence[Entry],
    *,
    map_version: str | None,
    settings: Settings | None,
) -> list[dict[str, Any]] | None:
    """The rows written, with their ids; None when ``map_version`` is no longer the latest."""
    if not entries:
        return []
    # Histories read ahead for packages in this transaction no longer hold.
    forget_per_transaction(session, READ_AHEAD)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for e in entries:
        rows.append(
            {
                "receipt_id": str(uuid.uuid4()),
                "subject_hash": e.subject.hash,
                "subject_kind": e.subject.kind,
                "subject": e.subject.value,
                "purpose": e.purpose,
                "decision": e.decision,
                "method": e.method,
                "notice_id": e.notice.id,
                "notice_version": e.notice.version,
                "notice_hash": e.notice.content_hash,
                "jurisdiction": e.jurisdiction,
                "recorded_at": now,
                "source_url": e.context.source_url,
                "user_agent": e.context.user_agent,
                "ip": truncate_ip(e.context.ip, settings),
                "actor": e.context.actor,
                "evidence": e.evidence,
                "erased_at": None,
            }
        )
    if len(rows) == 1:
        rid = repository.append_one(session, rows[0], map_version=map_version)
        if rid is None:
            return None
        ids = [rid]
    elif session.get_bind().dialect.name == "postgresql":
        found = repository_batch.append_batch(session, rows, map_version=map_version)
        if found is None:
            return None
        ids = found
    else:
        if map_version is not None and (repository.latest_datamap_id(session) or "") != map_version:
            return None
        ids = repository.append_many(session, rows)
    for row, rid in zip(rows, ids, strict=True):
        row["id"] = rid
    # Receivers learn which purposes changed and how, never whose consent it was.
    webhooks.emit(
        session,
        "consent.changed",
        {
            "receipt_ids": [r["receipt_id"] for r in rows],
            "decisions": {r["purpose"]: r["decision"] for r in rows},
            "purposes": sorted({r["purpose"] for r in rows}),
            "method": ",".join(sorted({r["method"] for r in rows})),
            "jurisdiction": ",".join(sorted({r["jurisdiction"] for r in rows})),
        },
        settings=settings,
    )
    return rows
