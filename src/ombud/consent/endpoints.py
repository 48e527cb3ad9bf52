"""Staff API of the consent ledger (``/api/v1/consent``) plus the public consent pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ombud.consent import links, preferences, receipts, service, web
from ombud.consent.fastpath import actor_of, record_one
from ombud.consent.purposes import get_purpose
from ombud.consent.schemas import (
    BulkCheck,
    BulkCheckCreate,
    BulkRecorded,
    Decision,
    DecisionBulkCreate,
    DecisionCreate,
    DecisionList,
    PurposeList,
    StateList,
    SubjectRef,
)
from ombud.db import DbSession
from ombud.deps import IdPath, OfficerStaff, SettingsDep, ViewerStaff

router = APIRouter(prefix="/api/v1/consent", tags=["consent"])


class UnsubscribeHeadersCreate(BaseModel):
    email: str = Field(max_length=320)
    purpose: str = Field(max_length=200)


@router.get("/purposes", response_model=PurposeList)
def list_purposes(session: DbSession, _staff: ViewerStaff) -> PurposeList:
    """Consentable purposes of the data map with their current notice version and hash."""
    return PurposeList(items=service.purposes(session))


@router.post("/decisions", response_model=Decision, status_code=201)
async def record(
    body: DecisionCreate, request: Request, session: DbSession, staff: OfficerStaff
) -> Decision:
    """Record one decision (committed with the others arriving meanwhile; see batcher.py).

    Most calls are answered by ``fastpath.DecisionFastPath`` before they reach this route;
    it records them the same way (``record_one``)."""
    return await record_one(request.app, body, staff, release=session)


@router.post("/decisions/bulk", response_model=BulkRecorded, status_code=201)
def record_bulk(
    body: DecisionBulkCreate, session: DbSession, staff: OfficerStaff, settings: SettingsDep
) -> BulkRecorded:
    """Record up to 10,000 decisions together; one invalid decision records none."""
    recs = service.record_decisions(
        session, items=body.decisions, actor=_actor(staff), settings=settings
    )
    return BulkRecorded(count=len(recs), receipt_ids=[r.receipt_id for r in recs])


@router.post("/subjects/state", response_model=StateList)
def subject_state(
    body: SubjectRef, session: DbSession, _staff: ViewerStaff, settings: SettingsDep
) -> StateList:
    """Current decision per purpose of one subject (POST keeps identities out of URLs)."""
    subject = service.subject_of(body, settings)
    return StateList(items=service.states(session, subject=subject))


@router.post("/subjects/history", response_model=DecisionList)
def subject_history(
    body: SubjectRef, session: DbSession, _staff: ViewerStaff, settings: SettingsDep
) -> DecisionList:
    """Every decision of one subject, oldest first."""
    subject = service.subject_of(body, settings)
    return DecisionList(
        items=[service.to_decision(r) for r in service.history(session, subject=subject)]
    )


@router.post("/check", response_model=BulkCheck)
def bulk_check(
    body: BulkCheckCreate, session: DbSession, _staff: ViewerStaff, settings: SettingsDep
) -> BulkCheck:
    """Which of up to 100,000 identities may be contacted for the purpose."""
    return service.check_contactable(session, body=body, settings=settings)


@router.get("/receipts/{receipt_id}")
def receipt(
    receipt_id: IdPath, session: DbSession, _staff: ViewerStaff, settings: SettingsDep
) -> dict[str, Any]:
    """The receipt of one decision (Kantara-like JSON) and a signed link for the person."""
    rec = service.get_record(session, receipt_id=receipt_id)
    body = receipts.build(session, rec, settings)
    body["receiptUrl"] = receipts.receipt_link(rec, settings)
    return body


@router.post("/unsubscribe-headers")
def unsubscribe_headers(
    body: UnsubscribeHeadersCreate, session: DbSession, _staff: OfficerStaff, settings: SettingsDep
) -> dict[str, str]:
    """RFC 8058 ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` values for one message."""
    get_purpose(session, body.purpose)
    return preferences.unsubscribe_headers(
        email=body.email, purpose=body.purpose, settings=settings
    )


def _actor(staff: Any) -> str:
    return actor_of(staff)


routers = [router, web.router, links.router]
