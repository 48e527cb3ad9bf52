"""A completed erasure reaches Ombud's own records: the consent ledger and the request."""

from __future__ import annotations

import json
import zipfile

import pytest
from sqlalchemy import Engine, select, update

from ombud.clock import utcnow
from ombud.config import Settings
from ombud.consent import ledger
from ombud.consent import package as consent_package
from ombud.consent import service as consent_service
from ombud.consent.schemas import BulkCheckCreate
from ombud.datamap import service as datamap_service
from ombud.datamap.schemas import DataMap, Subscription
from ombud.db import unit_of_work
from ombud.execution import package
from ombud.execution.tasks import run_requests
from ombud.models.consent import ConsentRecord, ConsentState
from ombud.models.requests import PrivacyRequest
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_lifecycle import add_request
from tests.fixtures.statements import statements


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


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_packages_of_a_batch_show_the_ledger_as_it_is_when_each_is_built(
    target: Target, store: tuple[Settings, Engine], shop_map: DataMap
) -> None:
    """The batch reads its people's consent histories ahead in one query; an erasure earlier
    in the same batch changes one of them, and the package built after it shows the change."""
    settings, engine = store
    people = _granted_newsletter(target, engine, shop_map)
    ids = [
        add_request(engine, "erasure", 3, email=people[3]),
        add_request(engine, "access", 3, email=people[3]),
        add_request(engine, "access", 4, email=people[4]),
    ]
    reports = run_requests(engine, ids, settings=settings, datamap=shop_map)
    assert [r.status for r in reports] == ["completed"] * 3, reports
    for rid, email in ((ids[1], people[3]), (ids[2], people[4])):
        with unit_of_work(engine) as session:
            now = consent_package.history_for_package(session, email=email, settings=settings)
            stored = session.get(PrivacyRequest, rid)
            assert stored is not None and stored.result is not None
            result = stored.result
        path = package.find(settings, result["export_id"], result["package_name"])
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            shown = json.loads(zf.read("consent/history.json")) if now else []
        assert shown == now
        # Erased before the package was built: nothing of person 3's consent is left to show.
        decisions = [c["decision"] for c in shown]
        assert decisions == ([] if email == people[3] else ["granted"])
        assert ("consent/history.json" in names) == (email == people[4])


def _granted_newsletter(target: Target, engine: Engine, shop_map: DataMap) -> dict[int, str]:
    """Shop people 3 and 4 at deliverable addresses, each granted the newsletter; by number."""
    shop_map.subscription = [
        Subscription(fides_key="newsletter", name="Newsletter", notice="Monthly news.")
    ]
    # The ledger takes deliverable-looking addresses only (no .test).
    people = {3: "person3@example.com", 4: "person4@example.com"}
    with target.engine.begin() as conn:
        for n, email in people.items():
            conn.execute(update(shop.customers).where(shop.customers.c.id == n).values(email=email))
    with unit_of_work(engine) as session:
        datamap_service.apply_map(session, datamap=shop_map, files={}, author="test")
        for email in people.values():
            consent_service.record_decision(
                session, email=email, purpose="newsletter", decision="granted", method="web_form"
            )
    return people


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_erasures_of_a_batch_read_their_ledger_states_together(
    target: Target, store: tuple[Settings, Engine], shop_map: DataMap
) -> None:
    """Two people's erasures (one of them asked twice) in one batch: the states are read for
    all of them in one go, and each person ends withdrawn, their identity gone."""
    settings, engine = store
    people = _granted_newsletter(target, engine, shop_map)
    ids = [add_request(engine, "erasure", n, email=people[n]) for n in (3, 4, 3)]
    with statements(engine, "SELECT", "FROM consent_states") as reads:
        reports = run_requests(engine, ids, settings=settings, datamap=shop_map)
    assert [r.status for r in reports] == ["completed"] * 3, reports
    # One read for the batch, one more for the second erasure of person 3 (after the first).
    assert len(reads) == 2
    with unit_of_work(engine) as session:
        states = session.scalars(select(ConsentState)).all()
        assert {(s.purpose, s.decision, s.subject) for s in states} == {
            ("newsletter", "withdrawn", None)
        }
        assert len(states) == 2
        records = session.scalars(select(ConsentRecord)).all()
        assert not {r.subject for r in records} & set(people.values())
        # The second erasure of person 3 saw the first one's withdrawal: no second one.
        withdrawals = [r.subject_hash for r in records if r.decision == "withdrawn"]
        assert len(withdrawals) == len(set(withdrawals)) == 2
        first = session.get(PrivacyRequest, ids[0])
        assert first is not None and first.result is not None
        assert first.result["consent_ledger"]["withdrawn"] == ["newsletter"]


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_erasures_of_different_people_erase_the_ledger_together(
    target: Target, store: tuple[Settings, Engine], shop_map: DataMap
) -> None:
    """Two people's erasures in one batch: one statement erases both people's records, and
    each request's result says what was done to that person's ledger."""
    settings, engine = store
    people = _granted_newsletter(target, engine, shop_map)
    ids = [add_request(engine, "erasure", n, email=people[n]) for n in (3, 4)]
    with statements(engine, "UPDATE consent_records") as erasing:
        reports = run_requests(engine, ids, settings=settings, datamap=shop_map)
    assert [r.status for r in reports] == ["completed"] * 2, reports
    assert len(erasing) == 1
    with unit_of_work(engine) as session:
        for rid in ids:
            request = session.get(PrivacyRequest, rid)
            assert request is not None and request.result is not None
            assert request.result["consent_ledger"]["withdrawn"] == ["newsletter"]
            assert request.result["consent_ledger"]["records_erased"] == 2
        records = session.scalars(select(ConsentRecord)).all()
        assert not {r.subject for r in records} & set(people.values())
