"""The subscribe page: every subscription its own unticked checkbox, several at once, and each
problem a sentence next to its field with what was typed kept."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ombud.consent import ledger, repository
from ombud.models.datamap import DataMapVersion
from tests.fixtures.smtp import Mailbox, SmtpServer


def _state(session: Session, email: str, purpose: str) -> str | None:
    st = repository.get_state(session, ledger.subject_hash("email", email), purpose)
    return st.decision if st else None


def test_each_subscription_is_an_unticked_checkbox(
    client: TestClient, datamap: DataMapVersion
) -> None:
    page = client.get("/privacy/subscribe").text
    boxes = re.findall(r'<input type="checkbox"[^>]*name="purpose"[^>]*>', page)
    assert len(boxes) == 3
    assert not any("checked" in b for b in boxes)
    assert 'type="radio"' not in page
    # The notice text is the checkbox's description, read out with it.
    assert 'aria-describedby="s-1-notice"' in page and 'id="s-1-notice"' in page


def test_several_subscriptions_at_once(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    res = client.post(
        "/privacy/subscribe",
        data={"email": "fay@example.com", "purpose": ["newsletter", "product_alerts"]},
    )
    assert res.status_code == 200 and "2 emails, one per subscription" in res.text
    mails = smtp_server.mailbox.to("fay@example.com")
    subjects = sorted(str(m["Subject"]) for m in mails)
    assert subjects == ["Please confirm: Newsletter", "Please confirm: Product alerts"]
    for mail in mails:
        link = re.search(r"http://testserver(/privacy/confirm/\S+)", Mailbox.text(mail))
        assert link is not None
        assert client.post(link.group(1)).status_code == 200
    assert _state(db_session, "fay@example.com", "newsletter") == "granted"
    assert _state(db_session, "fay@example.com", "product_alerts") == "granted"


def test_nothing_ticked_is_a_sentence_next_to_the_choices(
    client: TestClient, db_session: Session, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    res = client.post("/privacy/subscribe", data={"email": "gil@example.com"})
    assert res.status_code == 422
    assert (
        '<p class="error" id="purpose-error">Tick at least one thing you would like to '
        "receive.</p>" in res.text
    )
    assert '<fieldset aria-describedby="purpose-error">' in res.text
    assert 'value="gil@example.com"' in res.text  # what was typed stays
    assert smtp_server.mailbox.messages == []


def test_a_wrong_address_is_marked_and_the_choices_stay_ticked(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    res = client.post(
        "/privacy/subscribe", data={"email": "not an address", "purpose": ["product_alerts"]}
    )
    assert res.status_code == 422
    assert 'id="email-error">This is not an email address we can write to.' in res.text
    assert 'aria-invalid="true" aria-describedby="email-error"' in res.text
    assert 'value="not an address"' in res.text
    ticked = re.findall(r'<input type="checkbox"[^>]*checked>', res.text)
    assert len(ticked) == 1 and 'value="product_alerts"' in ticked[0]
    assert smtp_server.mailbox.messages == []


def test_the_confirmation_mail_is_in_the_language_of_the_page(
    client: TestClient, datamap: DataMapVersion, smtp_server: SmtpServer
) -> None:
    res = client.post(
        "/privacy/subscribe",
        data={"email": "hedi@example.com", "purpose": ["newsletter"]},
        headers={"Accept-Language": "de-DE,de;q=0.9"},
    )
    assert res.status_code == 200 and "Sehen Sie in Ihr Postfach" in res.text
    (mail,) = smtp_server.mailbox.to("hedi@example.com")
    assert str(mail["Subject"]) == "Bitte bestätigen: Newsletter"
    assert "Bestätigen Sie hier (der Link gilt" in Mailbox.text(mail)
