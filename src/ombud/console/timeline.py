"""One request's history in one column: letters, notes and audit entries by time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.dsr import service as dsr_service
from ombud.manual import service as manual_service

# Audit actions shown in words; others show their action name.
LABELS = {
    "request.status_changed": "Status changed",
    "request.message_sent": "Letter sent",
    "request.note_added": "Note added",
    "request.extended": "Deadline extended",
    "request.assigned": "Assigned",
    "request.identity_hint_accepted": "Identity accepted",
    "request.identity_hint_rejected": "Identity rejected",
    "execution.previewed": "Preview viewed",
    "execution.package_downloaded_by_staff": "Package downloaded by staff",
    "request.approval_recorded": "Approval recorded (the rule wants another)",
    "request.done_by_hand": "Marked done by hand",
    "request.objection_decided": "Objection decided",
    "request.restriction_lifted": "Restriction lifted",
    "manual.task_opened": "Manual task opened",
    "manual.task_closed": "Manual task closed by its owner",
    "manual.link_resent": "Task link sent again",
    "manual.task_escalated": "Overdue task escalated",
}
# Shown with their own, fuller entry (the letter, the note): the audit line would repeat it.
_SHOWN_ELSEWHERE = {"request.message_sent", "request.note_added"}


@dataclass(frozen=True)
class Event:
    """One line of the timeline."""

    at: datetime
    kind: str  # "letter", "note" or "audit"
    title: str
    actor: str
    text: str = ""
    facts: dict[str, Any] | None = None


def _facts(action: str, data: dict[str, Any], systems: dict[str, str]) -> dict[str, Any]:
    if action == "request.status_changed":
        return {"from": data.get("from"), "to": data.get("to")}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or (key == "system" and "task_id" in data):
            continue
        if key == "task_id":  # the task's system's name says more than ids and keys
            out["system"] = systems.get(str(value), data.get("system", value))
        elif isinstance(value, list) and all(isinstance(v, str | int) for v in value):
            out[key] = ", ".join(map(str, value)) or "none"
        elif not isinstance(value, dict | list):
            out[key] = value
    return out


def timeline(session: Session, request_id: str) -> list[Event]:
    """Letters, notes and audit entries of a request, oldest first."""
    events = [
        Event(m.sent_at, "letter", f"Letter: {m.subject}", m.to, text=m.body)
        for m in dsr_service.messages(session, request_id)
    ]
    events += [
        Event(n.created_at, "note", "Note", n.author, text=n.text)
        for n in dsr_service.notes(session, request_id)
    ]
    systems = {t.id: t.system_name for t in manual_service.for_request(session, request_id)}
    for entry in audit.for_subject(session, subject_type="privacy_request", subject_id=request_id):
        if entry.action in _SHOWN_ELSEWHERE:
            continue
        title = LABELS.get(entry.action, entry.action)
        facts = _facts(entry.action, entry.data, systems)
        events.append(Event(entry.at, "audit", title, entry.actor, facts=facts))
    return sorted(events, key=lambda e: e.at)
