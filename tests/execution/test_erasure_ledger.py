"""A completed erasure reaches Ombud's own records: the consent ledger and the request."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.consent import ledger
from ombud.consent import service as consent_service
from ombud.consent.schemas import BulkCheckCreate
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap, Subscription
from ombud.db import unit_of_work
from ombud.execution.tasks import run_requests
from ombud.models.consent import ConsentRecord, ConsentState
from ombud.models.requests import PrivacyRequest
from tests.execution import shop
from tests.execution.conftest import Target


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_completed_erasure_withdraws_consent_and_keeps_only_what_accountability_needs(
    target: Target, store: tuple[Settings, Engine], shop_map: DataMap
) -> None:
    settings, engine = store
    shop_map.subscription = [
        Subscription(fides_key="newsletter", name="Newsletter", notice="Monthly news.")
    ]
    # The ledger takes deliverable-looking addresses only (no .test): give person 3 one.
    me, other = "person3@example.com", "person4@example.com"
    with target.engine.begin() as conn:
        conn.execute(update(shop.customers).where(shop.customers.c.id == 3).values(email=me))
        conn.execute(update(shop.newsletter).where(shop.newsletter.c.id == 3).values(email=me))
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=shop_map, files={}, author="test")
        for email in (me, other):
            consent_service.record_decision(
                session, email=email, purpose="newsletter", decision="granted", method="web_form"
            )
        now = utcnow()
        request = PrivacyRequest(
            type="erasure",
            status="approved",
            jurisdiction="gdpr",
            email=me,
            identities={"email": me, "phone": "+4930000003"},
            details="Please forget me; my husband's name is Kim.",
            received_at=now,
            received_on=now.date(),
        )
        session.add(request)
        session.flush()
        rid = request.id

    (report,) = run_requests(engine, [rid], settings=settings, datamap=shop_map)
    assert report.status == "completed", report.message

    with unit_of_work(engine) as session:
        mine = ledger.subject_hash("email", me, settings)
        states = session.scalars(select(ConsentState)).all()
        assert [(s.decision, s.subject) for s in states if s.subject_hash == mine] == [
            ("withdrawn", None)
        ]
        assert [s.subject for s in states if s.decision == "granted"] == [other]
        records = session.scalars(select(ConsentRecord)).all()
        assert me not in {r.subject for r in records}
        check = consent_service.check_contactable(
            session, body=BulkCheckCreate(purpose="newsletter", identities=[me, other])
        )
        assert check.contactable == [other]
        stored = session.get(PrivacyRequest, rid)
        assert stored is not None and stored.status == "completed"
        assert stored.result is not None
        assert stored.result["consent_ledger"]["withdrawn"] == ["newsletter"]
        # The answer went to this address and the counts stay; the rest is gone.
        assert stored.identities == {"email": me} and stored.details == ""
