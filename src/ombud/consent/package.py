"""A person's consent history as their access package shows it; a batch of packages reads
the histories of all its people in one query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import ledger, repository, repository_subjects
from ombud.db import forget_per_transaction, once_per_transaction
from ombud.errors import InvalidInput
from ombud.models.consent import ConsentNotice, ConsentRecord

# Histories read ahead for this transaction: {subject hash: records}, and their notices.
_READ_AHEAD = ledger.READ_AHEAD


def read_ahead(session: Session, emails: Sequence[str], settings: Settings | None) -> None:
    """Read the histories of these people (and their notices) for this transaction's
    packages, all in one go; a change to the ledger in the transaction drops them."""
    hashes = []
    for email in emails:
        try:
            hashes.append(ledger.email_subject(email, settings).hash)
        except InvalidInput:
            continue
    histories = repository_subjects.histories_of(session, hashes)
    notices = repository.notices_by_id(
        session, {r.notice_id for records in histories.values() for r in records}
    )
    forget_per_transaction(session, _READ_AHEAD)
    once_per_transaction(session, _READ_AHEAD, lambda: (histories, notices))


def history_for_package(
    session: Session, *, email: str, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """The person's consent history for their access package, oldest first: what they
    decided, when, how, and the notice they saw; erased records are left out."""
    try:
        subject = ledger.email_subject(email, settings)
    except InvalidInput:
        return []
    ahead: tuple[dict[str, list[ConsentRecord]], dict[str, ConsentNotice]] | None
    ahead = once_per_transaction(session, _READ_AHEAD, lambda: None)
    if ahead is not None and subject.hash in ahead[0]:
        found, notices = ahead[0][subject.hash], ahead[1]
    else:
        found = repository_subjects.history_of(session, subject.hash)
        notices = repository.notices_by_id(session, (r.notice_id for r in found))
    records = [r for r in found if r.erased_at is None]
    return [
        {
            "purpose": r.purpose,
            "title": notices[r.notice_id].title if r.notice_id in notices else r.purpose,
            "decision": r.decision,
            "method": r.method,
            "notice_version": r.notice_version,
            "recorded_at": r.recorded_at.isoformat(),
            "source_url": r.source_url,
            "user_agent": r.user_agent,
            "ip": r.ip,
            "receipt_id": r.receipt_id,
        }
        for r in records
    ]
