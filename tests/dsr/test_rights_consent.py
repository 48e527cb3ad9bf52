"""withdraw_consent and the CCPA opt-outs run to ``completed`` through the public API on the
demo company: the ledger shows the effect at once and the letter says what was done."""

from __future__ import annotations

from pathlib import Path

from ombud.dsr import rights
from ombud.models.requests import RequestType
from tests.dsr.demo import DemoSystem, demo_system
from tests.dsr.rights import (
    add_ccpa_markings,
    customer_with_devices,
    grant,
    history,
    letter,
    request_count,
    state,
    submit,
)

__all__ = ["demo_system"]


def test_withdraw_consent_withdraws_the_chosen_purposes_once_confirmed(
    demo_system: DemoSystem,
) -> None:
    demo = demo_system
    email = demo.victim().email
    grant(demo, email, "newsletter", "product_updates")
    receipt = submit(
        demo, type="withdraw_consent", email=email, jurisdiction="gdpr", purposes=["newsletter"]
    )
    assert receipt["status"] == "awaiting_verification"
    assert state(demo, email=email)["newsletter"] == ("granted", "web_form")
    demo.verify(receipt["id"], email)

    assert demo.request(receipt["id"]).status == "completed"
    now = state(demo, email=email)
    assert now["newsletter"] == ("withdrawn", "request")
    assert now["product_updates"] == ("granted", "web_form")  # not chosen: untouched
    (last,) = [h for h in history(demo, email) if h["method"] == "request"]
    assert last["evidence"]["request_id"] == receipt["id"]
    body = letter(demo, receipt["id"])
    assert "withdraw your consent" in body and "Postlicht newsletter" in body
    assert "Product updates" not in body


def test_withdraw_consent_without_purposes_withdraws_every_one(demo_system: DemoSystem) -> None:
    demo = demo_system
    email = demo.victim().email
    grant(demo, email, "newsletter", "product_updates")
    receipt = submit(demo, type="withdraw_consent", email=email, jurisdiction="gdpr")
    demo.verify(receipt["id"], email)
    now = state(demo, email=email)
    assert now["newsletter"] == now["product_updates"] == ("withdrawn", "request")
    assert {d for d, _m in now.values()} <= {"withdrawn", "refused"}


def test_an_unknown_purpose_is_refused_naming_it_and_nothing_is_stored(
    demo_system: DemoSystem,
) -> None:
    demo = demo_system
    before = request_count(demo)
    for kind in ("withdraw_consent", "objection"):
        res = demo.client.post(
            "/api/v1/requests",
            json={"type": kind, "email": "ida@example.com", "purposes": ["newsleter"]},
        )
        assert res.status_code == 422, res.text
        assert "'newsleter'" in res.json()["error"] and "known:" in res.json()["error"]
    res = demo.client.post(
        "/api/v1/requests",
        json={"type": "access", "email": "ida@example.com", "purposes": ["newsletter"]},
    )
    assert res.status_code == 422 and "takes no purposes" in res.json()["error"]
    assert request_count(demo) == before
    assert demo.smtp.mailbox.to("ida@example.com") == []


def test_opt_outs_complete_at_once_for_the_person_and_their_devices(
    demo_system: DemoSystem, tmp_path: Path
) -> None:
    demo = demo_system
    add_ccpa_markings(demo, tmp_path)
    _account, email, devices = customer_with_devices(demo)
    assert devices
    grant(demo, email, "third_party_sharing")
    expected = {
        "opt_out_sale": ("third_party_sharing", "Sell contact data to partners"),
        "opt_out_sharing": ("marketing.advertising.third_party.targeted", "Measure our adv"),
        "limit_sensitive": ("personalize.content.profiled", "Personalise offers by health"),
    }
    for kind, (purpose, title) in expected.items():
        receipt = submit(demo, type=kind, email=email, jurisdiction="ccpa")
        # No code, no staff decision: done at once (§§ 7026, 7027 allow 15 business days).
        assert receipt["status"] == "completed", (kind, receipt)
        assert "carried out" in receipt["message"]  # at once, or waiting for the manual systems
        stored = demo.request(receipt["id"])
        assert stored.due_on is not None and (stored.due_on - stored.received_on).days <= 21
        assert stored.result is not None and stored.result["rights"]["devices"] == len(devices)
        decision, method = state(demo, email=email)[purpose]
        assert decision in ("withdrawn", "refused") and method == "request"
        for device in devices:
            assert state(demo, device_id=device)[purpose] == ("refused", "request")
        body = letter(demo, receipt["id"])
        assert title in body and "we recorded your opt-out for these purposes" in body, body
        assert f"{len(devices)} browser" in body
    assert state(demo, email=email)["third_party_sharing"] == ("withdrawn", "request")


def test_opt_out_letter_in_german(demo_system: DemoSystem, tmp_path: Path) -> None:
    demo = demo_system
    add_ccpa_markings(demo, tmp_path)
    email = demo.victim().email
    receipt = submit(demo, type="opt_out_sale", email=email, jurisdiction="ccpa", language="de")
    body = letter(demo, receipt["id"])
    assert "Ihren Widerspruch" in body and "Sell contact data to partners" in body


def test_opt_out_with_nothing_marked_says_so(demo_system: DemoSystem) -> None:
    demo = demo_system
    email = demo.victim().email
    receipt = submit(demo, type="opt_out_sale", email=email, jurisdiction="ccpa")
    assert receipt["status"] == "completed"
    assert "We do not sell personal information" in letter(demo, receipt["id"])


def test_the_form_offers_only_what_the_data_map_can_carry_out(
    demo_system: DemoSystem, tmp_path: Path
) -> None:
    demo = demo_system
    page = demo.client.get("/privacy/request").text
    assert 'value="opt_out_sharing"' in page  # the advertising pixel is sharing
    assert 'value="opt_out_sale"' not in page and 'value="limit_sensitive"' not in page
    add_ccpa_markings(demo, tmp_path)
    page = demo.client.get("/privacy/request").text
    for kind in RequestType:
        assert f'value="{kind.value}"' in page, kind


def test_every_type_is_declared_once() -> None:
    assert set(rights.RIGHTS) == set(RequestType)
    for kind, right in rights.RIGHTS.items():
        assert right.type is kind
        assert right.handler in (
            rights.EXECUTION,
            rights.CONSENT,
            rights.OBJECTION,
            rights.RESTRICTION,
        )
