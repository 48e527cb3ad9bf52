"""A rectification request through the API on a committed store: corrections checked against
the data map at intake and staff edit (audited), previewed value by value, run, and answered
with a letter that says what changed and what did not."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from ombud.db import unit_of_work
from ombud.models.audit import AuditEntry
from ombud.models.requests import PrivacyRequest, RequestMessage
from tests.dsr.conftest import code_from
from tests.execution import shop
from tests.execution.conftest import Target
from tests.execution.test_api_run import System
from tests.execution.test_lifecycle import status_of
from tests.fixtures.smtp import SmtpServer

OFFICER = "privacy_officer"


def _submit(system: System, corrections: object, n: int = 2) -> tuple[int, dict[str, object]]:
    res = system.client.post(
        "/api/v1/requests",
        json={"type": "rectification", "email": shop.email(n), "rectification": corrections},
    )
    return res.status_code, res.json()


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_intake_refuses_what_the_data_map_does_not_let_people_correct(
    system: System, target: Target
) -> None:
    status, body = _submit(system, {"customers.nmae": "Pat"})
    assert status == 422
    assert "'customers.nmae' cannot be corrected" in str(body["error"])
    assert "did you mean 'customers.name'" in str(body["error"])
    assert body["detail"] == {
        "key": "customers.nmae",
        # customers.phone holds a category the data map lists as correctable
        "correctable": ["customers.name", "customers.phone", "user.contact.phone_number"],
    }
    status, body = _submit(system, {"orders.shipping_address": "Elsewhere 1"})
    assert status == 422 and "'orders.shipping_address'" in str(body["error"])
    deep: object = "x"
    for _ in range(256):
        deep = {"a": deep}
    assert _submit(system, {"customers.name": deep})[0] == 422
    assert _submit(system, {"customers.name": "x" * 1001})[0] == 422
    assert _submit(system, {f"k{i}": "v" for i in range(51)})[0] == 422
    assert _submit(system, {})[0] == 422  # a correction needs something to correct
    status, body = _submit(system, {"customers.name": " Pat Two "})
    assert status == 201, body
    listed = system.client.get("/api/v1/requests/correctable").json()
    assert [o["key"] for o in listed] == [
        "customers.name",
        "customers.phone",
        "user.contact.phone_number",
    ]
    with unit_of_work(system.engine) as session:
        row = session.get(PrivacyRequest, str(body["id"]))
        assert row is not None and row.rectification == {"customers.name": "Pat Two"}


@pytest.mark.parametrize("target", ["sqlite", "postgresql"], indirect=True)
def test_staff_edit_preview_and_run_change_exactly_the_corrections(
    system: System, target: Target
) -> None:
    before = shop.snapshot(target.engine)
    status, body = _submit(system, {"customers.name": "Pat Two"})
    assert status == 201
    rid = str(body["id"])
    c, officer = system.client, system.as_(OFFICER)
    edit = {"customers.name": "Pat Two", "user.contact.phone_number": "+49 30 2222"}
    assert (
        c.patch(f"/api/v1/requests/{rid}/rectification", json={"rectification": edit}).status_code
        == 401
    )
    assert (
        c.patch(
            f"/api/v1/requests/{rid}/rectification",
            json={"rectification": {"segment": "vip"}},
            headers=officer,
        ).status_code
        == 422
    )
    res = c.patch(
        f"/api/v1/requests/{rid}/rectification", json={"rectification": edit}, headers=officer
    )
    assert res.status_code == 200, res.text
    assert res.json()["rectification"] == edit
    with unit_of_work(system.engine) as session:
        row = session.get(PrivacyRequest, rid)
        assert row is not None
        row.status = "verified"  # the person confirmed by code: their email now seeds
        row.identities = {"email": row.email}
    assert c.post(f"/api/v1/requests/{rid}/approve", headers=officer).status_code == 200
    late = c.patch(
        f"/api/v1/requests/{rid}/rectification", json={"rectification": edit}, headers=officer
    )
    assert late.status_code == 409 and "until the request is approved" in late.json()["error"]

    res = c.get(f"/api/v1/requests/{rid}/preview", headers=system.as_("viewer"))
    assert res.status_code == 200, res.text
    lines = {line["collection"]: line for line in res.json()["lines"]}
    assert sorted(
        (v["key"], v["field"], v["old"], v["new"]) for v in lines["shop.customers"]["changes"]
    ) == [(2, "name", "Person 2", "Pat Two"), (2, "phone", "+4930000002", "+49 30 2222")]
    assert all(not line["changes"] for name, line in lines.items() if name != "shop.customers")
    assert shop.snapshot(target.engine) == before

    res = c.post(f"/api/v1/requests/{rid}/run", headers=officer)
    assert res.status_code == 200, res.text
    after = shop.snapshot(target.engine)
    assert after["customers"][1] == {
        **before["customers"][1],
        "name": "Pat Two",
        "phone": "+49 30 2222",
    }
    assert {k: v for k, v in after.items() if k != "customers"} == {
        k: v for k, v in before.items() if k != "customers"
    }
    assert [r for r in after["customers"] if r["id"] != 2] == [
        r for r in before["customers"] if r["id"] != 2
    ]
    assert status_of(system.engine, rid).status == "completed"
    with unit_of_work(system.engine) as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.subject_id == rid).order_by(AuditEntry.id)
        ).all()
        letter = session.scalars(
            select(RequestMessage).where(
                RequestMessage.request_id == rid, RequestMessage.kind == "completion"
            )
        ).one()
    edited = [e for e in entries if e.action == "request.rectification_edited"]
    assert [(e.actor, e.data["added"]) for e in edited] == [
        ("privacy_officer@staff.test", ["user.contact.phone_number"])
    ]
    assert "Pat Two" not in str(edited[0].data)  # keys only, never the values
    assert "We corrected:" in letter.body and "shop.customers: name, phone" in letter.body


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
def test_the_form_offers_the_correctable_fields_and_shows_current_values_after_the_code(
    system: System, target: Target, smtp_server: SmtpServer
) -> None:
    c = system.client
    page = c.get("/privacy/request")
    names = set(re.findall(r'name="(correct:[^"]+)"', page.text))
    assert names == {
        "correct:customers.name",
        "correct:customers.phone",
        "correct:user.contact.phone_number",
    }
    form = {"type": "rectification", "email": shop.email(5), "country": "other"}
    crafted = c.post("/privacy/request", data={**form, "correct:orders.shipping_address": "X"})
    assert crafted.status_code == 422
    assert "&#39;orders.shipping_address&#39; cannot be corrected" in crafted.text
    res = c.post(
        "/privacy/request",
        data={**form, "correct:customers.name": "Pat Five", "correct:customers.phone": ""},
        follow_redirects=False,
    )
    assert res.status_code == 303, res.text
    verify_path = res.headers["location"]
    rid = verify_path.split("/")[3]
    with unit_of_work(system.engine) as session:
        row = session.get(PrivacyRequest, rid)
        assert row is not None and row.rectification == {"customers.name": "Pat Five"}
    # The request id alone shows nothing held; the code does.
    assert "Person 5" not in c.get(verify_path).text
    done = c.post(verify_path, data={"code": code_from(smtp_server.mailbox, shop.email(5))})
    assert done.status_code == 200, done.text
    assert "The corrections you asked for" in done.text
    assert "Person 5" in done.text and "Pat Five" in done.text
    assert "Person 4" not in done.text
