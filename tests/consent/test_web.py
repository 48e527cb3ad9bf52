"""Public pages: double opt-in, preference center, one-click unsubscribe, links, GPC."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from ombud.config import Settings
from ombud.consent import ledger, preferences, repository, service
from ombud.consent.cookies import OWN_COOKIES
from ombud.models.consent import ConsentRecord
from ombud.models.datamap import DataMapVersion
from tests.consent.conftest import counts, link_in
from tests.fixtures.api import Clock
from tests.fixtures.smtp import Mailbox, SmtpServer

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _state(session: Session, email: str, purpose: str) -> str | None:
    st = repository.get_state(session, ledger.subject_hash("email", email), purpose)
    return st.decision if st else None


def _unsub_path(settings: Settings, email: str, purpose: str) -> str:
    headers = preferences.unsubscribe_headers(email=email, purpose=purpose, settings=settings)
    match = re.fullmatch(
        r"<http://testserver(/privacy/unsubscribe/[^>]+)>", headers["List-Unsubscribe"]
    )
    assert match, headers
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return match.group(1)


def test_double_opt_in_grants_only_after_link(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    res = client.post(
        "/privacy/subscribe", data={"email": "dora@example.com", "purpose": "newsletter"}
    )
    assert res.status_code == 200 and "Check your inbox" in res.text
    assert _state(db_session, "dora@example.com", "newsletter") is None
    assert counts(db_session)["consent_records"] == 0

    (mail,) = smtp_server.mailbox.to("dora@example.com")
    link = link_in(Mailbox.text(mail), "/privacy/confirm/")
    page = client.get(link)
    assert page.status_code == 200 and "Yes, subscribe me" in page.text
    assert _state(db_session, "dora@example.com", "newsletter") is None  # GET changes nothing
    done = client.post(link)
    assert done.status_code == 200 and "confirmed" in done.text
    assert _state(db_session, "dora@example.com", "newsletter") == "granted"
    rec = db_session.scalars(select(ConsentRecord)).one()
    assert rec.method == "email_link"
    assert rec.evidence["double_opt_in"]["requested_via"] == "web_form"
    assert client.post(link).text.count("already confirmed") == 1
    assert counts(db_session)["consent_records"] == 1


def test_subscription_without_double_opt_in_is_immediate(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    res = client.post(
        "/privacy/subscribe",
        data={"email": "eve@example.com", "purpose": "privacy_statement_updates"},
    )
    assert res.status_code == 200 and "Read the receipt" in res.text
    assert service.contactable_emails(db_session, purpose="privacy_statement_updates") == [
        "eve@example.com"
    ]
    assert smtp_server.mailbox.messages == []


def test_one_click_unsubscribe_needs_no_login(
    client: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    service.record_decision(
        db_session, email="fay@example.com", purpose="newsletter", decision="granted", method="api"
    )
    db_session.commit()
    path = _unsub_path(settings, "fay@example.com", "newsletter")
    res = client.post(path, content="List-Unsubscribe=One-Click", headers=FORM)
    assert res.status_code == 200 and res.text == "unsubscribed"
    assert _state(db_session, "fay@example.com", "newsletter") == "withdrawn"
    last = db_session.scalars(select(ConsentRecord).order_by(ConsentRecord.id.desc())).first()
    assert last is not None and (last.method, last.subject) == ("email_link", "fay@example.com")
    # Mail providers may repeat the POST: still 200, no second record.
    before = counts(db_session)
    assert client.post(path, content="List-Unsubscribe=One-Click", headers=FORM).status_code == 200
    assert counts(db_session) == before


def test_unsubscribe_get_shows_button_and_changes_nothing(
    client: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    service.record_decision(
        db_session,
        email="gus@example.com",
        purpose="product_alerts",
        decision="granted",
        method="api",
    )
    path = _unsub_path(settings, "gus@example.com", "product_alerts")
    page = client.get(path)
    assert page.status_code == 200
    assert '<button type="submit">Unsubscribe from Product alerts</button>' in page.text
    assert _state(db_session, "gus@example.com", "product_alerts") == "granted"
    done = client.post(path, data={"confirm": "1"})
    assert done.status_code == 200 and "no longer receive Product alerts" in done.text
    assert _state(db_session, "gus@example.com", "product_alerts") == "withdrawn"


def test_forged_expired_and_foreign_tokens_refused_with_page(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    service.record_decision(
        db_session, email="hal@example.com", purpose="newsletter", decision="granted", method="api"
    )
    before = counts(db_session)
    path = _unsub_path(settings, "hal@example.com", "newsletter")
    payload, stamp, sig = path.rsplit("/", 1)[1].rsplit(".", 2)
    other = _unsub_path(settings, "hal@example.com", "product_alerts").rsplit("/", 1)[1]
    forged = [
        f"/privacy/unsubscribe/{payload}.{stamp}.{sig[:-2]}xx",
        f"/privacy/unsubscribe/{other.rsplit('.', 2)[0]}.{stamp}.{sig}",  # other purpose
        "/privacy/unsubscribe/"
        + preferences.preference_link(db_session, "hal@example.com", settings).split("t=")[
            1
        ],  # a token made for another use
    ]
    for bad in forged:
        page = client.get(bad)
        assert page.status_code == 400 and "This link is not valid" in page.text
        res = client.post(bad, content="List-Unsubscribe=One-Click", headers=FORM)
        assert res.status_code == 400 and "not valid" in res.text
    frozen_clock.advance(days=settings.unsubscribe_ttl_days + 1)
    page = client.get(path)
    assert page.status_code == 410 and "This link has expired" in page.text
    assert client.post(path, content="List-Unsubscribe=One-Click", headers=FORM).status_code == 410
    assert counts(db_session) == before
    assert _state(db_session, "hal@example.com", "newsletter") == "granted"


def test_preference_center_by_link_one_click_per_change(
    client: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    link = preferences.preference_link(db_session, "ivy@example.com", settings)
    page = client.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200 and "Signed in as <strong>ivy@example.com" in page.text
    for title in ("Targeted advertising", "Newsletter", "Privacy statement updates"):
        assert title in page.text
    assert 'aria-label="Yes, I agree: Newsletter"' in page.text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf
    res = client.post(
        "/privacy/preferences",
        data={"csrf": csrf.group(1), "purpose": "newsletter", "decision": "granted"},
    )
    assert res.status_code == 200 and "Saved: Newsletter" in res.text
    assert "Withdraw consent" in res.text and "(through this preference center)" in res.text
    assert _state(db_session, "ivy@example.com", "newsletter") == "granted"
    bad = client.post(
        "/privacy/preferences",
        data={"csrf": "0" * 64, "purpose": "newsletter", "decision": "withdrawn"},
    )
    assert bad.status_code == 403
    assert _state(db_session, "ivy@example.com", "newsletter") == "granted"


def test_pages_name_the_organisation_of_the_data_map(
    client: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    link = preferences.preference_link(db_session, "ned@example.com", settings).removeprefix(
        "http://testserver"
    )
    pages = [
        client.get("/privacy/preferences"),  # sign-in form
        client.get(link),  # the center itself
        client.get("/privacy/subscribe"),
        client.get("/privacy/unsubscribe/forged"),  # an error page too
    ]
    for page in pages:
        brand = page.text.split('<p class="brand">', 1)[1].split("</p>", 1)[0]
        assert "Acme Shop" in brand, page.url
        assert "<title>" in page.text and " · Acme Shop</title>" in page.text
        assert '<p class="brand">Privacy</p>' not in page.text


def test_preference_center_by_code(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    smtp_server: SmtpServer,
    frozen_clock: Clock,
) -> None:
    assert "Send me a code" in client.get("/privacy/preferences").text
    res = client.post("/privacy/preferences/code", data={"email": "Jo@Example.com"})
    assert res.status_code == 200 and "Enter it below" in res.text
    (mail,) = smtp_server.mailbox.to("jo@example.com")
    code = re.search(r"\b(\d{6})\b", Mailbox.text(mail))
    assert code
    wrong = "000000" if code.group(1) != "000000" else "111111"
    bad = client.post(
        "/privacy/preferences/verify", data={"email": "jo@example.com", "code": wrong}
    )
    assert bad.status_code == 400 and "wrong or has expired" in bad.text
    ok = client.post(
        "/privacy/preferences/verify", data={"email": "jo@example.com", "code": code.group(1)}
    )
    assert ok.status_code == 200 and "Signed in as <strong>jo@example.com" in ok.text
    # A used code does not open the center again.
    client.cookies.clear()
    again = client.post(
        "/privacy/preferences/verify", data={"email": "jo@example.com", "code": code.group(1)}
    )
    assert again.status_code == 400


def test_expired_preference_link_refused(
    client: TestClient,
    db_session: Session,
    datamap: DataMapVersion,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    link = preferences.preference_link(db_session, "kim@example.com", settings).removeprefix(
        "http://testserver"
    )
    frozen_clock.advance(hours=settings.link_ttl_hours + 1)
    page = client.get(link)
    assert page.status_code == 410 and "has expired" in page.text


def test_device_cookie_only_with_a_signal_and_every_cookie_is_declared(
    client: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    link = preferences.preference_link(db_session, "noa@example.com", settings).removeprefix(
        "http://testserver"
    )
    client.get(link, follow_redirects=False)
    client.get("/privacy/preferences")
    assert client.cookies.get("ombud_device") is None  # no signal: nothing to remember
    client.get("/privacy/preferences", headers={"Sec-GPC": "1"})
    assert client.cookies.get("ombud_device")
    declared = {c.name for c in OWN_COOKIES}
    assert set(client.cookies.keys()) <= declared, "a cookie the statement does not list"


def test_gpc_recorded_then_overridden_by_explicit_choice(
    client: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    gpc = {"Sec-GPC": "1"}
    link = preferences.preference_link(db_session, "lea@example.com", settings).removeprefix(
        "http://testserver"
    )
    client.get(link, follow_redirects=False)
    page = client.get("/privacy/preferences", headers=gpc)
    assert "Global Privacy Control" in page.text
    device = client.cookies.get("ombud_device")
    assert device
    device_hash = ledger.subject_hash("device", device)
    assert repository.get_state(db_session, device_hash, "marketing.advertising").decision == (
        "refused"
    )  # type: ignore[union-attr]
    assert _state(db_session, "lea@example.com", "marketing.advertising") == "refused"
    assert _state(db_session, "lea@example.com", "analytics.reporting") is None  # not a sale
    gpc_recs = db_session.scalars(select(ConsentRecord).where(ConsentRecord.method == "gpc")).all()
    assert {r.evidence["signal"] for r in gpc_recs} == {"Sec-GPC"} and len(gpc_recs) == 2

    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf
    client.post(
        "/privacy/preferences",
        headers=gpc,
        data={"csrf": csrf.group(1), "purpose": "marketing.advertising", "decision": "granted"},
    )
    # The signal keeps coming, but the later explicit choice wins and is not overwritten.
    client.get("/privacy/preferences", headers=gpc)
    client.get("/privacy/preferences", headers=gpc)
    subject = ledger.email_subject("lea@example.com")
    ads = [
        r
        for r in service.history(db_session, subject=subject)
        if r.purpose == "marketing.advertising"
    ]
    assert [(r.decision, r.method) for r in ads] == [
        ("refused", "gpc"),
        ("granted", "preference_center"),
    ]
    assert _state(db_session, "lea@example.com", "marketing.advertising") == "granted"


def test_gpc_withdraws_earlier_grant_and_dnt_is_a_setting(
    client: TestClient, db_session: Session, datamap: DataMapVersion, settings: Settings
) -> None:
    service.record_decision(
        db_session,
        device_id="11111111-1111-4111-8111-111111111111",
        purpose="marketing.advertising",
        decision="granted",
        method="banner",
    )
    client.cookies.set("ombud_device", "11111111-1111-4111-8111-111111111111")
    client.get("/privacy/preferences", headers={"DNT": "1"})
    h = ledger.subject_hash("device", "11111111-1111-4111-8111-111111111111")
    assert repository.get_state(db_session, h, "marketing.advertising").decision == "granted"  # type: ignore[union-attr]
    settings.honour_dnt = True
    client.get("/privacy/preferences", headers={"DNT": "1"})
    state = repository.get_state(db_session, h, "marketing.advertising")
    assert state is not None and (state.decision, state.method) == ("withdrawn", "gpc")


def test_gpc_well_known(client: TestClient) -> None:
    res = client.get("/.well-known/gpc.json")
    assert res.status_code == 200
    body = res.json()
    assert body["gpc"] is True and re.fullmatch(r"\d{4}-\d{2}-\d{2}", body["lastUpdate"])
