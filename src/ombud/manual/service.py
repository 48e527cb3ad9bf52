"""Manual tasks: opened when a request is approved, one per system or recipient the data map
marks ``manual``; closed by the owner through a signed link; the request waits for them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ombud.audit import service as audit
from ombud.clock import utcnow
from ombud.config import Settings
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap
from ombud.db import forget_per_transaction, once_per_transaction
from ombud.dsr import hints
from ombud.dsr import repository as dsr_repository
from ombud.errors import Conflict, Gone, InvalidInput, NotFound, OmbudError
from ombud.files import write_private
from ombud.manual import links, repository
from ombud.models.manual import ManualTask
from ombud.models.requests import PrivacyRequest
from ombud.outbox import service as outbox
from ombud.web.render import render

# What the owner does, by request type.
ACTIONS: dict[str, str] = {
    "access": "export",
    "portability": "export",
    "erasure": "erase",
    "rectification": "rectify",
    "restriction": "restrict",
    "objection": "opt_out",
    "withdraw_consent": "opt_out",
    "opt_out_sale": "opt_out",
    "opt_out_sharing": "opt_out",
    "limit_sensitive": "opt_out",
}
ACTION_WORDS = {
    "export": "export every record about the person and upload it as one file",
    "erase": "erase every record about the person (keep only what the law requires)",
    "rectify": "correct the person's records as they asked",
    "restrict": "stop using the person's records (keep them, but do not process them)",
    "opt_out": "stop using the person's records for the purposes they objected to",
}
OUTCOMES = ("done", "nothing_found", "cannot_do")
OUTCOME_WORDS = {
    "done": "done",
    "nothing_found": "no records about you were found",
    "cannot_do": "could not be done",
}
# The same outcomes as the owner chose them on the page.
OWNER_WORDS = {"done": "done", "nothing_found": "nothing found", "cannot_do": "cannot be done"}
SYSTEM_ACTOR = "system:manual"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class TooLarge(OmbudError):
    """An uploaded file is larger than ``manual_upload_max_bytes``."""

    status = 413
    code = "too_large"


@dataclass(frozen=True)
class Upload:
    """A file the owner sent with the task."""

    filename: str
    data: bytes


def manual_systems(datamap: DataMap) -> list[tuple[str, str, str, str]]:
    """(kind, fides_key, name, owner) of every system and recipient marked manual."""
    out = [("system", s.fides_key, s.name, s.owner) for s in datamap.system if s.manual]
    out += [("recipient", r.fides_key, r.name, r.owner) for r in datamap.recipient if r.manual]
    return out


def open_for_request(
    session: Session, settings: Settings, request: PrivacyRequest, *, actor: str
) -> list[ManualTask]:
    """One task per manual system for an approved request, each owner mailed a link."""
    action = ACTIONS.get(request.type)
    if action is None:
        return []
    try:
        datamap = datamap_service.get_current(session)
    except NotFound:
        return []
    systems = manual_systems(datamap)
    if not systems:
        return []  # every system has a connector: nothing to look up
    existing = {t.system_key for t in repository.for_request(session, request.id)}
    identities = hints.search_identities(request)
    opened: list[ManualTask] = []
    for kind, key, name, owner in systems:
        if key in existing:
            continue
        task = repository.add(
            session,
            ManualTask(
                request_id=request.id,
                system_kind=kind,
                system_key=key,
                system_name=name,
                owner=owner.strip(),
                action=action,
                identities=dict(identities),
                due_on=request.extended_due_on or request.due_on,
                status=repository.OPEN,
                link_version=1,
            ),
        )
        mail_owner(session, settings, task, kind="new")
        _audit(session, task, "manual.task_opened", actor, system=key, task_action=action)
        opened.append(task)
    return opened


def mail_owner(session: Session, settings: Settings, task: ManualTask, *, kind: str) -> None:
    """Queue the owner's mail with a fresh signed link (``new``, ``resend``, ``reminder``)."""
    text = render(
        "manual/task_email.txt",
        task=task,
        kind=kind,
        what=ACTION_WORDS[task.action],
        url=links.url(settings, task.id, task.link_version),
        days=settings.manual_task_link_days,
    )
    prefix = {"reminder": "Reminder: ", "resend": "New link: "}.get(kind, "")
    subject = f"{prefix}privacy request task for {task.system_name}"
    outbox.enqueue(session, settings, to=task.owner, subject=subject[:300], text=text)


def get(session: Session, task_id: str) -> ManualTask:
    """The task with this id or ``NotFound``."""
    task = repository.get(session, task_id)
    if task is None:
        raise NotFound(f"no manual task with id {task_id}")
    return task


def for_request(session: Session, request_id: str) -> list[ManualTask]:
    """Tasks of a request (``NotFound`` for an unknown request)."""
    if dsr_repository.get(session, request_id) is None:
        raise NotFound(f"no privacy request with id {request_id}")
    return repository.for_request(session, request_id)


_WITHOUT = "manual_without_tasks"


def prime(session: Session, request_ids: Sequence[str]) -> None:
    """Note, for this transaction, which of these in-progress requests have no task, so
    completing a batch asks once instead of per request. Tasks are opened only when a request
    is approved, so an in-progress request without any cannot gain one meanwhile."""
    without = set(request_ids) - repository.with_tasks(session, request_ids)
    forget_per_transaction(session, _WITHOUT)
    once_per_transaction(session, _WITHOUT, lambda: without)


def _none(session: Session, request_id: str) -> bool:
    without: set[str] = once_per_transaction(session, _WITHOUT, set)
    return request_id in without


def open_count(session: Session, request_id: str) -> int:
    """How many tasks of the request are still open."""
    if _none(session, request_id):
        return 0
    return repository.open_count(session, request_id)


def from_link(session: Session, settings: Settings, token: str) -> ManualTask:
    """The open task a link stands for; 4xx for a forged, expired, replaced or used link."""
    task_id, version = links.read(settings, token)
    task = repository.get(session, task_id)
    if task is None:
        raise Gone("this task no longer exists; the request it belonged to was removed")
    if version != task.link_version:
        raise Gone("a newer link was sent for this task; use the link from the latest email")
    if task.status != repository.OPEN:
        raise Gone(
            f"this task was already closed ({task.status.replace('_', ' ')}); nothing was changed"
        )
    return task


def close(
    session: Session,
    settings: Settings,
    token: str,
    *,
    outcome: str,
    reason: str = "",
    note: str = "",
    upload: Upload | None = None,
) -> ManualTask:
    """The owner reports what they did; the last task closed lets the request complete."""
    found = from_link(session, settings, token)
    # The request first, then the task: execution locks them in the same order.
    dsr_repository.get_for_update(session, found.request_id)
    task = repository.get(session, found.id, lock=True)
    if task is None or task.status != repository.OPEN:
        raise Gone("this task was already closed; nothing was changed")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome: use one of {', '.join(OUTCOMES)}")
    reason, note = _text(reason, "reason"), _text(note, "note")
    if outcome == "cannot_do" and len(reason) < 3:
        raise InvalidInput("reason: say why the task cannot be done (3 characters or more)")
    if upload is not None and upload.data:
        if task.action != "export":
            raise InvalidInput(f"this task asks to {task.action.replace('_', ' ')}; no file needed")
        task.upload = _store(settings, task, upload)
    if outcome == "done" and task.action == "export" and not task.upload:
        raise InvalidInput("file: upload the exported records, or choose 'nothing found'")
    now = utcnow()
    task.status, task.reason, task.note = outcome, reason or None, note or None
    task.closed_at, task.closed_by, task.identities = now, task.owner, {}
    session.flush()
    _audit(
        session,
        task,
        "manual.task_closed",
        f"owner:{task.system_key}",
        outcome=outcome,
        file_sha256=(task.upload or {}).get("sha256"),
    )
    if repository.open_count(session, task.request_id) == 0:
        # Imported here: execution imports the request service, which opens tasks from here.
        from ombud.execution import completion

        completion.finish_after_tasks(session, task.request_id, actor=SYSTEM_ACTOR)
    return task


def resend(session: Session, settings: Settings, task_id: str, *, actor: str) -> ManualTask:
    """Mail the owner a new link; every earlier link of the task stops working."""
    task = repository.get(session, task_id, lock=True)
    if task is None:
        raise NotFound(f"no manual task with id {task_id}")
    if task.status != repository.OPEN:
        raise Conflict(f"manual task {task_id} is already closed ({task.status})")
    task.link_version += 1
    session.flush()
    mail_owner(session, settings, task, kind="resend")
    _audit(session, task, "manual.link_resent", actor, version=task.link_version)
    return task


def outcomes(session: Session, request_id: str) -> list[dict[str, Any]]:
    """What happened on each manual system, for the result and the completion letter."""
    return [
        {
            "system": t.system_name,
            "system_key": t.system_key,
            "action": t.action,
            "outcome": t.status,
            "outcome_text": OUTCOME_WORDS.get(t.status, t.status),
            "reason": t.reason or "",
            "file": bool(t.upload),
        }
        for t in ([] if _none(session, request_id) else repository.for_request(session, request_id))
    ]


def uploads(session: Session, settings: Settings, request_id: str) -> list[tuple[str, bytes]]:
    """(name in the package, content) of every file owners uploaded for the request."""
    out: list[tuple[str, bytes]] = []
    if _none(session, request_id):
        return out
    for task in repository.for_request(session, request_id):
        if task.upload:
            path = settings.data_dir / str(task.upload["path"])
            out.append((f"manual/{task.system_key}/{task.upload['name']}", path.read_bytes()))
    return out


def _store(settings: Settings, task: ManualTask, upload: Upload) -> dict[str, Any]:
    if len(upload.data) > settings.manual_upload_max_bytes:
        raise TooLarge(
            f"file: larger than {settings.manual_upload_max_bytes} bytes; split or compress it"
        )
    name = _SAFE_NAME.sub("_", upload.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])
    name = name.strip("._")[:100] or "upload.bin"
    relative = f"manual/{task.request_id}/{task.id}/{name}"
    write_private(settings.data_dir / relative, upload.data)
    digest = hashlib.sha256(upload.data).hexdigest()
    return {"name": name, "size": len(upload.data), "sha256": digest, "path": relative}


def _text(value: str, name: str) -> str:
    value = (value or "").strip()
    if len(value) > 4000:
        raise InvalidInput(f"{name}: at most 4000 characters")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in value):
        raise InvalidInput(f"{name}: control characters are not allowed")
    return value


def _audit(session: Session, task: ManualTask, action: str, actor: str, **data: Any) -> None:
    # Never identities or free text: the audit log outlives the request.
    audit.record(
        session,
        action=action,
        actor=actor,
        subject_type="privacy_request",
        subject_id=task.request_id,
        data={"task_id": task.id, **data},
    )


def audit_escalated(session: Session, task: ManualTask, *, notified: int) -> None:
    """Record that an overdue task was reported to the privacy officers."""
    _audit(session, task, "manual.task_escalated", SYSTEM_ACTOR, notified=notified)
