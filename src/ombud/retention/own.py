"""Retention of Ombud's own personal data, as rules named ``ombud.<thing>``: request records,
access packages, consent records, one-time codes, preference-center sessions, mail and
complaints. Periods are settings (``OMBUD_RETENTION_*``); each rule runs in one transaction
of the store, under the same lock, run journal and audit entry as the data map's rules."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from ombud import config
from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.complaints import records as complaint_records
from ombud.config import Settings
from ombud.consent import repository_retention as consent_sql
from ombud.db import after_commit
from ombud.dsr import records as request_records
from ombud.dsr import repository as dsr_repository
from ombud.errors import NotFound
from ombud.execution import downloads
from ombud.models.consent import ConsentAccessCode, ConsentLink
from ombud.models.retention import RetentionRun
from ombud.outbox import repository as outbox_repository
from ombud.retention import repository

PREFIX = "ombud."
LOCK = timedelta(minutes=15)

Opener = Callable[[], AbstractContextManager[Session]]
# (session, settings, now, apply) -> {collection: rows}; apply=False only counts.
Sweep = Callable[[Session, Settings, datetime, bool], dict[str, int]]


@dataclass(frozen=True)
class OwnRule:
    """One kind of Ombud's own data, its period in words and how it is swept."""

    key: str
    name: str
    action: str
    period: Callable[[Settings], str]
    counts_from: str
    sweep: Sweep


def _months_ago(now: datetime, months: int) -> datetime:
    return complaint_records.cutoff(months, now)


def _requests(session: Session, s: Settings, now: datetime, apply: bool) -> dict[str, int]:
    months = s.retention_requests_months
    if apply:
        return {
            "privacy_requests": request_records.purge(session, months=months, actor="retention")
        }
    return {
        "privacy_requests": len(dsr_repository.closed_before(session, _months_ago(now, months)))
    }


def _packages(session: Session, s: Settings, now: datetime, apply: bool) -> dict[str, int]:
    return {"exports": downloads.purge_expired(session, s, dry_run=not apply)}


def _consent(session: Session, s: Settings, now: datetime, apply: bool) -> dict[str, int]:
    cutoff = _months_ago(now, s.retention_consent_months)
    if not apply:
        return {
            "consent_records": consent_sql.count_superseded(session, cutoff),
            "consent_records (reduced)": consent_sql.count_reducible(session, cutoff),
        }
    return {
        "consent_records": consent_sql.delete_superseded(session, cutoff),
        "consent_records (reduced)": consent_sql.reduce_refusals(session, cutoff),
    }


def _codes(session: Session, s: Settings, now: datetime, apply: bool) -> dict[str, int]:
    cutoff = now - timedelta(days=s.retention_codes_days)
    if apply:
        return {
            "verification_codes": dsr_repository.delete_expired_codes(session, cutoff),
            "consent_access_codes": consent_sql.delete_expired(session, ConsentAccessCode, cutoff),
        }
    return {
        "verification_codes": dsr_repository.count_expired_codes(session, cutoff),
        "consent_access_codes": consent_sql.count_expired(session, ConsentAccessCode, cutoff),
    }


def _sessions(session: Session, s: Settings, now: datetime, apply: bool) -> dict[str, int]:
    cutoff = now - timedelta(days=s.retention_codes_days)
    if apply:
        links = consent_sql.delete_expired(session, ConsentLink, cutoff)
        pending = consent_sql.delete_pending(session, cutoff)
        return {"consent_links": links, "consent_pending": pending}
    return {
        "consent_links": consent_sql.count_expired(session, ConsentLink, cutoff),
        "consent_pending": consent_sql.count_pending(session, cutoff),
    }


def _old_files(folder: Path | None, cutoff: datetime) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    limit = cutoff.timestamp()
    return [p for p in folder.glob("*.eml") if p.is_file() and p.stat().st_mtime < limit]


def _unlink(files: list[Path]) -> None:
    for path in files:
        path.unlink(missing_ok=True)


def _mail(session: Session, s: Settings, now: datetime, apply: bool) -> dict[str, int]:
    cutoff = now - timedelta(days=s.retention_mail_days)
    files = _old_files(s.mail_outbox, cutoff)
    if not apply:
        rows = outbox_repository.count_done_before(session, cutoff)
        return {"mail_outbox": rows, "outbox folder": len(files)}
    rows = outbox_repository.delete_done_before(session, cutoff)
    # The files go once the rows' deletion is committed.
    after_commit(session, lambda: _unlink(files))
    return {"mail_outbox": rows, "outbox folder": len(files)}


def _complaints(session: Session, s: Settings, now: datetime, apply: bool) -> dict[str, int]:
    months = s.retention_complaints_months
    if apply:
        return {"complaints": complaint_records.purge(session, months=months, actor="retention")}
    return {"complaints": complaint_records.expired(session, months=months)}


RULES = (
    OwnRule(
        "ombud.requests", "Request records", "anonymise",
        lambda s: f"{s.retention_requests_months} months", "closing of the request", _requests,
    ),
    OwnRule(
        "ombud.packages", "Access packages", "delete",
        lambda s: f"{s.export_ttl_hours} hours", "writing of the package", _packages,
    ),
    OwnRule(
        "ombud.consent", "Consent records", "delete",
        lambda s: f"{s.retention_consent_months} months", "a later decision", _consent,
    ),
    OwnRule(
        "ombud.verification_codes", "One-time codes", "delete",
        lambda s: f"{s.retention_codes_days} days", "expiry of the code", _codes,
    ),
    OwnRule(
        "ombud.preference_sessions", "Preference-center links and opt-ins", "delete",
        lambda s: f"{s.retention_codes_days} days", "expiry of the link", _sessions,
    ),
    OwnRule(
        "ombud.mail", "Mail in the outbox", "delete",
        lambda s: f"{s.retention_mail_days} days", "sending of the mail", _mail,
    ),
    OwnRule(
        "ombud.complaints", "Complaints", "anonymise",
        lambda s: f"{s.retention_complaints_months} months", "answer to the complaint",
        _complaints,
    ),
)  # fmt: skip


def is_own(rule: str | None) -> bool:
    """Whether ``rule`` names one of Ombud's own rules."""
    return rule is not None and rule.startswith(PREFIX)


def rules(rule: str | None = None) -> list[OwnRule]:
    """Every own rule, or the one named ``rule`` (``NotFound`` if there is none)."""
    if rule is None:
        return list(RULES)
    found = [r for r in RULES if r.key == rule]
    if not found:
        known = ", ".join(r.key for r in RULES)
        raise NotFound(f"no retention rule '{rule}' of Ombud's own data (rules: {known})")
    return found


@dataclass
class OwnPlan:
    """What one own rule would change now, per table (or folder)."""

    rule: OwnRule
    period: str
    counts: dict[str, int]

    def rows(self) -> list[dict[str, Any]]:
        """One row per table, in the shape of the data map rules' plan rows."""
        return [
            {
                "rule": self.rule.key,
                "rule_name": self.rule.name,
                "collection": collection,
                "action": self.rule.action,
                "period": self.period,
                "counts_from": self.rule.counts_from,
                "rows": None,
                "past_period": n,
                "no_timestamp": 0,
                "held": {},
                "held_by": None,
                "still_referenced": 0,
                "to_change": n,
                "oldest_age_days": None,
                "masks": [],
                "problem": None,
            }
            for collection, n in self.counts.items()
        ]


def plan(
    session: Session, *, rule: str | None = None, settings: Settings | None = None,
    now: datetime | None = None,
) -> list[OwnPlan]:  # fmt: skip
    """What each own rule would change now; changes nothing."""
    s = settings or config.get_settings()
    now = now or utcnow()
    return [OwnPlan(r, r.period(s), r.sweep(session, s, now, False)) for r in rules(rule)]


def plan_rows(
    session: Session, *, rule: str | None, settings: Settings, now: datetime
) -> list[dict[str, Any]]:
    """The plan rows of the own rules (all when ``rule`` is None, none for a data map rule)."""
    if rule is not None and not is_own(rule):
        return []
    return [row for p in plan(session, rule=rule, settings=settings, now=now) for row in p.rows()]


@dataclass
class OwnOutcome:
    """What one own rule's run did (the same fields as ``service.RuleOutcome``)."""

    rule: str
    status: str
    run_id: str | None = None
    changed: dict[str, int] | None = None
    error: str = ""


def run(
    open_session: Opener, holder: str, *, rule: str | None = None, trigger: str = "cli",
    actor: str = "cli", settings: Settings | None = None,
) -> list[OwnOutcome]:  # fmt: skip
    """Apply every own rule (or one), each in one transaction with its journal row and one
    audit entry with counts; a rule another runner holds is skipped."""
    s = settings or config.get_settings()
    return [_run_one(open_session, holder, r, trigger, actor, s) for r in rules(rule)]


def _run_one(
    open_session: Opener, me: str, rule: OwnRule, trigger: str, actor: str, s: Settings
) -> OwnOutcome:
    now = utcnow()
    lock = f"rule:{rule.key}"
    with open_session() as session:
        if not repository.acquire(session, lock, me, now=now, until=now + LOCK):
            return OwnOutcome(rule.key, "skipped", error="another runner is applying this rule")
    outcome = OwnOutcome(rule.key, "completed", changed={})
    # The lock is given back in the transaction that journals the run (one commit less per
    # rule); only when that transaction fails is it given back on its own.
    released = False
    try:
        with open_session() as session:
            outcome.changed = rule.sweep(session, s, now, True)
            journal = {c: {"action": rule.action, "changed": n, "done": True}
                       for c, n in outcome.changed.items()}  # fmt: skip
            run_row = repository.add(
                session, _run_row(rule.key, "completed", trigger, now, journal)
            )
            outcome.run_id = run_row.id
            _audit(session, actor, outcome)
            repository.release(session, lock, me)
        released = True
    except Exception as exc:  # the other rules still run; the failure is journaled
        outcome.status, outcome.error, outcome.changed = "failed", str(exc)[:2000], {}
        with open_session() as session:
            outcome.run_id = repository.add(
                session, _run_row(rule.key, "failed", trigger, now, {}, outcome.error)
            ).id
            _audit(session, actor, outcome)
            repository.release(session, lock, me)
        released = True
    finally:
        if not released:
            with open_session() as session:
                repository.release(session, lock, me)
    return outcome


def _run_row(
    rule: str, status: str, trigger: str, now: datetime, steps: dict[str, Any], error: str = ""
) -> RetentionRun:
    return RetentionRun(
        rule=rule, status=status, trigger=trigger, started_at=now, finished_at=utcnow(),
        as_of=now, steps=steps, error=error,
    )  # fmt: skip


def _audit(session: Session, actor: str, outcome: OwnOutcome) -> None:
    # Counts only: never an address, a code or a text.
    audit.record(
        session,
        action=f"retention.{outcome.status}",
        actor=actor,
        subject_type="retention_rule",
        subject_id=outcome.rule,
        data={"run": outcome.run_id, "changed": outcome.changed, "error": outcome.error[:500]},
    )


def status(session: Session) -> list[dict[str, Any]]:
    """Per own rule: the last run, what it changed, and whether a run is overdue."""
    latest = repository.latest_per_rule(session)
    completed = repository.last_completed(session)
    now = utcnow()
    out = []
    for r in RULES:
        last, done = latest.get(r.key), completed.get(r.key)
        finished = done.finished_at if done else None
        out.append(
            {
                "rule": r.key,
                "last_run": last.started_at.isoformat() if last else None,
                "last_status": last.status if last else None,
                "last_completed": finished.isoformat() if finished else None,
                "changed": {c: e.get("changed", 0) for c, e in (done.steps or {}).items()}
                if done
                else {},
                "enforced": True,
                "note": "",
                "overdue": finished is None or now - finished > timedelta(days=1, hours=6),
                "error": last.error if last and last.status == "failed" else "",
            }
        )
    return out


__all__ = ["RULES", "OwnOutcome", "OwnPlan", "is_own", "plan", "rules", "run", "status"]
