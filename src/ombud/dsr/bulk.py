"""Staff intake and approval of many requests in one call.

Per item, not all-or-nothing: the items run in a savepoint of the call's transaction; when one
is refused, that savepoint is rolled back and each item runs in one of its own, so a refused
item leaves no trace and the others are recorded (and committed together at the end).
The same checks as one request at a time: the item schema of the public intake and the same
services."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ombud.dsr import intake, repository, schemas, schemas_intake, service
from ombud.errors import OmbudError
from ombud.models.requests import PrivacyRequest
from ombud.notify import service as notify
from ombud.phases import phase

SOURCE = "staff"

log = logging.getLogger(__name__)


def _each(
    session: Session, items: list[Any], do: Callable[[Any], PrivacyRequest]
) -> schemas.BulkResult:
    # First every item in one savepoint, so that their changes are written together. When
    # one is refused, that savepoint is rolled back and each item runs in its own.
    try:
        with session.begin_nested(), repository.deferred_writes(session):
            rows = [do(item) for item in items]
            session.flush()  # every item's rows together, still in the savepoint
    except (ValidationError, OmbudError, IntegrityError):
        # Item by item, each written at once: the refusal then lands on its item.
        return _one_by_one(session, items, do)
    out = [schemas.BulkItemResult(index=i, id=r.id, status=r.status) for i, r in enumerate(rows)]
    return schemas.BulkResult(done=len(out), refused=0, items=out)


def _one_by_one(
    session: Session, items: list[Any], do: Callable[[Any], PrivacyRequest]
) -> schemas.BulkResult:
    out: list[schemas.BulkItemResult] = []
    for index, item in enumerate(items):
        try:
            with session.begin_nested():
                row = do(item)
            out.append(schemas.BulkItemResult(index=index, id=row.id, status=row.status))
        except ValidationError as exc:
            detail = [
                {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type")}
                for e in exc.errors(include_url=False, include_input=False)
            ]
            first = detail[0] if detail else {"loc": [], "msg": "invalid input"}
            where = ".".join(str(p) for p in first["loc"]) or "item"
            out.append(
                schemas.BulkItemResult(
                    index=index,
                    error=f"item {index}: {where}: {first['msg']}",
                    code="invalid_input",
                    detail=detail,
                )
            )
        except OmbudError as exc:
            out.append(
                schemas.BulkItemResult(
                    index=index,
                    error=f"item {index}: {exc.message}",
                    code=exc.code,
                    detail=exc.detail,
                )
            )
        except IntegrityError as exc:
            # A row the store already holds (logged by kind, never with its values).
            log.warning("bulk item %d refused by the store: %s", index, type(exc.orig).__name__)
            out.append(
                schemas.BulkItemResult(
                    index=index,
                    error=f"item {index}: conflicts with what the store already holds",
                    code="conflict",
                )
            )
    done = sum(1 for r in out if r.error is None)
    return schemas.BulkResult(done=done, refused=len(out) - done, items=out)


def create_many(session: Session, items: list[dict[str, Any]], *, actor: str) -> schemas.BulkResult:
    """Record each item as a request from staff; verified at once when staff checked the
    person's identity, else the person gets the code as with the public intake."""

    def one(raw: dict[str, Any]) -> PrivacyRequest:
        data = schemas_intake.StaffRequestCreate.model_validate(raw)
        verified_by = actor if data.identity_verified else None
        row = intake.submit(
            session, data=data, source=SOURCE, actor=actor, identity_checked_by=verified_by
        )
        if verified_by is not None:
            service.note_on(
                session, row, actor=actor, text=f"Identity checked: {data.verification_note}"
            )
        return row

    # Each request's own intake counts itself (``intake.submit``); this adds the batch's.
    with phase("intake", 0):
        notify.prime(session)
        # Staff hear of the verified ones in one mail each, not in one per request.
        with notify.gathered(session) as verified:
            result = _each(session, items, one)
        done = {item.id for item in result.items if item.error is None}
        notify.requests_verified(session, [r for r in verified if r.id in done])
        return result


def approve_many(
    session: Session, ids: list[str], *, actor: str, note: str = ""
) -> schemas.BulkResult:
    """Approve each verified request (as one approval at a time would)."""
    with phase("approval", len(ids)):
        # Locked together first, in id order: each approval then finds its row locked.
        repository.lock_many(session, ids)
        return _each(
            session, ids, lambda rid: service.approve(session, rid, actor=actor, note=note)
        )
