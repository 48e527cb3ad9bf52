"""One code path for every opt-out: GPC signals, opt-out of sale and sharing, limiting the
use of sensitive information, and withdrawing consent by request all withdraw purposes here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from ombud.consent import ledger, repository
from ombud.consent.ledger import Context, Entry, Subject
from ombud.consent.purposes import Purpose
from ombud.consent.schemas import DecisionKind, Method
from ombud.models.consent import ConsentRecord, ConsentState


@dataclass
class Withdrawal:
    """What an opt-out changed: purposes withdrawn (were granted) and refused (undecided)."""

    withdrawn: set[str] = field(default_factory=set)
    refused: set[str] = field(default_factory=set)
    subjects: int = 0

    def as_dict(self) -> dict[str, Any]:
        """For a request's result."""
        return {
            "withdrawn": sorted(self.withdrawn),
            "refused": sorted(self.refused - self.withdrawn),
            "subjects": self.subjects,
        }


def _needs(state: ConsentState | None, *, later_grant_wins: bool) -> bool:
    if state is None:
        return True
    if state.decision != DecisionKind.granted:
        return False
    # A grant made explicitly after a GPC signal is the person's later choice: the signal
    # repeated on every page view must not undo it. A request is itself an explicit choice.
    return not later_grant_wins or state.method == Method.gpc or state.gpc_at is None


def withdraw(
    session: Session,
    *,
    subjects: Sequence[Subject],
    purposes: Sequence[Purpose],
    method: str,
    context: Context,
    jurisdiction: str,
    evidence: dict[str, Any],
    later_grant_wins: bool = False,
) -> tuple[Withdrawal, list[ConsentRecord]]:
    """Withdraw granted purposes and refuse undecided ones for every subject (caller commits).

    Returns what changed and the records written, in the caller's transaction."""
    done = Withdrawal(subjects=len(subjects))
    entries: list[Entry] = []
    for subject in subjects:
        for p in purposes:
            state = repository.get_state(session, subject.hash, p.key)
            if not _needs(state, later_grant_wins=later_grant_wins):
                continue
            decision = DecisionKind.withdrawn if state is not None else DecisionKind.refused
            (done.withdrawn if state is not None else done.refused).add(p.key)
            entries.append(
                Entry(subject, p.key, decision, method, p.notice, jurisdiction, context, evidence)
            )
    return done, ledger.write(session, entries)
